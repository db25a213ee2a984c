"""benchmarks/paper_on_gpu.py on CPU with its tiny configuration: pack, then run from the pack alone."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import xarray as xr

from tests.kedro_project import REPO, copy_project, tracking_uri

SCRIPT = REPO / "benchmarks" / "paper_on_gpu.py"


def _script(project, *args):
    env_vars = {"MLFLOW_TRACKING_URI": tracking_uri(project), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(SCRIPT), *args, "--tiny", "--project", str(project)], cwd=project,
                          capture_output=True, text=True, timeout=900, env=env_vars)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


def test_pack_then_run_trains_from_the_pack_with_grouped_local_models_and_curves(tmp_path):
    project = copy_project(tmp_path / "project")
    out = _script(project, "pack")
    packed = project / "data/gpu_pack/soil_moisture_tiny.nc"
    assert "packed 60 sites × 730 days" in out and packed.stat().st_size < 50 * 2**20
    with xr.open_dataset(packed) as ds:
        assert ds.attrs["source"] == "virtual_conus" and ds["soil_moisture"].dtype == "float32"
    (project / "data/02_intermediate/canonical.nc").unlink()  # the run must not need the source's outputs

    report = _script(project, "run")
    assert "# Global vs local (soil_moisture)" in report and "`source`: packed" in report
    history = pd.read_csv(project / "data/06_models/local_F/training_history.csv")
    assert history["test_median_RMSE"].notna().all() and history["iterations"].tolist() == [3, 3]
    assert (project / "data/08_reporting/global_vs_local/learning_curves.png").exists()
