"""``notebooks/global_vs_local_analysis.ipynb`` runs top to bottom on a finished tiny run and draws its figure.

The notebook reads the run through the Kedro catalog (``%load_ext kedro.ipython``), so it is executed inside a
throw-away project copy, from that copy's ``notebooks/`` folder, as a user would open it. The executed notebook is
kept as a test artifact in ``$SYNERGY_ARTIFACTS/notebooks`` (default ``<repo>/test-artifacts/notebooks``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from tests.conftest import TINY
from tests.kedro_project import REPO, copy_project, inside

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK = REPO / "notebooks" / "global_vs_local_analysis.ipynb"
CELL_TIMEOUT_S = 120


@pytest.fixture
def project_with_run(tmp_path: Path) -> Path:
    project = copy_project(tmp_path / "project")
    with inside(project):
        bootstrap_project(project)
        with KedroSession.create(project_path=project, runtime_params=TINY) as session:
            session.run(pipeline_name="global_vs_local")
    (project / "notebooks").mkdir()
    shutil.copy(NOTEBOOK, project / "notebooks" / NOTEBOOK.name)
    return project


@pytest.fixture
def this_python_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The notebook's kernel name, ``python3``, bound to this interpreter (not whatever else a machine has)."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", os.pathsep.join([str(tmp_path / "jupyter"), os.environ.get("JUPYTER_PATH", "")]))
    return "python3"


def test_committed_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert code[0].source.strip() == "%load_ext kedro.ipython"


def test_notebook_loads_the_run_through_the_catalog_and_draws_the_comparison(project_with_run, this_python_kernel):
    workdir = project_with_run / "notebooks"
    nb = nbformat.read(workdir / NOTEBOOK.name, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name=this_python_kernel, timeout=CELL_TIMEOUT_S,
                                     resources={"metadata": {"path": str(workdir)}})
    try:
        client.execute()  # raises CellExecutionError on the first failing cell
    finally:
        artifacts = Path(os.environ.get("SYNERGY_ARTIFACTS") or REPO / "test-artifacts") / "notebooks"
        artifacts.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, artifacts / NOTEBOOK.name)

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("image/png" in o.get("data", {}) for o in outputs), "no figure was drawn"
    printed = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    assert "12 paired sites from 2 local models: ['local_F', 'local_K']" in printed
    assert "RMSE: global better at" in printed and "R: global better at" in printed
    shown = [o["data"].get("text/html", "") for o in outputs if o.output_type == "execute_result"]
    assert any("RMSE_share_global_better" in html for html in shown), "the comparison table was not shown"
