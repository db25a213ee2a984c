"""A throw-away copy of the Kedro project, so test runs write nothing into the repository."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def copy_project(dest: Path) -> Path:
    """pyproject.toml and conf/ (without conf/local) into ``dest``; data/ is created by the run."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(REPO / name, dest / name)
    shutil.copytree(REPO / "conf", dest / "conf", ignore=shutil.ignore_patterns("local"))
    (dest / "conf" / "local").mkdir()
    (dest / "src").mkdir()  # the package itself is imported from the installed project
    return dest


def run_pipeline(project: Path, pipeline: str, runtime_params: dict) -> None:
    """``kedro run --pipeline <pipeline>`` with ``runtime_params`` in a real session of ``project`` (call inside it)."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=runtime_params) as session:
        session.run(pipeline_name=pipeline)


@contextmanager
def inside(project: Path) -> Iterator[Path]:
    """Work in ``project`` with MLflow tracking to its own SQLite file; restore cwd and env after."""
    old_cwd, old_uri = os.getcwd(), os.environ.get("MLFLOW_TRACKING_URI")
    os.chdir(project)
    os.environ["MLFLOW_TRACKING_URI"] = tracking_uri(project)
    try:
        yield project
    finally:
        os.chdir(old_cwd)
        if old_uri is None:
            os.environ.pop("MLFLOW_TRACKING_URI", None)
        else:
            os.environ["MLFLOW_TRACKING_URI"] = old_uri


def tracking_uri(project: Path) -> str:
    return f"sqlite:///{(project / 'mlflow.db').as_posix()}"
