"""Ctrl-C during `kedro run`: the parent run ends KILLED with the finished models logged; a rerun keeps them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import torch
import yaml
from mlflow.tracking import MlflowClient

from tests.kedro_project import copy_project, tracking_uri

PARAMS = {
    "ingestion": {"virtual_conus": {"sites_per_subregion": 3, "sites_per_focus_l3": 3,
                                    "focus_l3_codes": ["8.3.5", "9.4.2"], "n_years": 2, "start": "2010-01-01"}},
    "periods": {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]},
    "training": {"hidden_size": 8, "epochs": 150, "iterations_per_epoch": 3, "checkpoint_every": 5},
}
MODELS = ["global", "local_F", "local_K"]


def _start(project, sigint=signal.SIG_DFL, columns: int | None = None) -> subprocess.Popen:
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri(project), **({"COLUMNS": str(columns)} if columns else {})}
    # A process started in the background inherits an ignored SIGINT, and Python then never raises
    # KeyboardInterrupt; restore the default so the child behaves as `kedro run` in a terminal
    # (``sigint=SIG_IGN`` keeps it ignored, as for a background job).
    return subprocess.Popen([sys.executable, "-m", "kedro", "run", "--pipeline", "global_vs_local"], cwd=project,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))


def _signal_after_first_model(run: subprocess.Popen, models, signum: int) -> list[str]:
    """Send ``signum`` the moment the run's first model is saved; the models finished by then.

    The run is frozen (SIGSTOP) when it saves its first model, so that how fast the machine trains
    the rest cannot decide the test (on a fast CI runner the run once finished before the signal).
    The signal is then pending and is the first thing the run sees when it continues. It often
    lands in a netCDF read, where netCDF4 swallows KeyboardInterrupt (synergy_kedro.kedro_glue.interruption).
    """
    deadline = time.monotonic() + 600
    while not any((models / m / "model.pt").exists() for m in MODELS):
        assert run.poll() is None, run.communicate()[1][-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    run.send_signal(signal.SIGSTOP)
    finished = sorted(m for m in MODELS if (models / m / "model.pt").exists())
    run.send_signal(signum)
    run.send_signal(signal.SIGCONT)
    return finished


def test_ctrl_c_ends_the_run_killed_and_the_rerun_trains_only_the_rest(tmp_path):
    project = copy_project(tmp_path / "project")
    (project / "conf/local/parameters.yml").write_text(yaml.safe_dump(PARAMS))
    run = _start(project)
    models = project / "data/06_models"
    finished = _signal_after_first_model(run, models, signal.SIGINT)
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 130, stderr[-3000:]
    assert "Interrupted. Finished models are kept" in stderr and "Traceback" not in stderr
    assert len(finished) < len(MODELS)

    client = MlflowClient(tracking_uri=tracking_uri(project))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert parent.info.status == "KILLED"
    logged = sorted(r.data.tags["model"] for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id)
    trained = sorted(m for m in MODELS if (models / m / "model.pt").exists())
    # a model is logged once its node has saved both its weights and its history (the signal may fall between)
    assert logged == [m for m in trained if (models / m / "training_history.csv").exists()]
    assert set(finished) <= set(trained)

    rerun = _start(project)
    _, stderr = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, stderr[-3000:]
    records = {m: torch.load(models / m / "model.pt", weights_only=False) for m in MODELS}
    assert sorted(m for m, r in records.items() if r["reused"]) == trained  # every model that had finished


def test_sigterm_ends_the_run_killed_with_the_finished_models_and_no_lock(tmp_path):
    """``timeout``, ``docker stop`` and SLURM send SIGTERM: handled as Ctrl-C, said as such, exit 143."""
    project = copy_project(tmp_path / "project")
    (project / "conf/local/parameters.yml").write_text(yaml.safe_dump(PARAMS))
    run = _start(project, sigint=signal.SIG_IGN)  # SIGINT ignored, as for a background job: SIGTERM must not need it
    models = project / "data/06_models"
    _signal_after_first_model(run, models, signal.SIGTERM)
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 143, stderr[-3000:]
    assert "Terminated (SIGTERM). Finished models are kept" in stderr and "Traceback" not in stderr
    assert not (project / "data/.kedro_run.lock").exists()
    client = MlflowClient(tracking_uri=tracking_uri(project))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    (parent,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert parent.info.status == "KILLED"
    logged = {r.data.tags["model"] for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id}
    assert logged and logged <= {m for m in MODELS if (models / m / "training_history.csv").exists()}


def test_the_run_after_a_kill_9_closes_the_dead_runs_mlflow_run_with_its_finished_models(tmp_path):
    """``kill -9`` (or a machine that dies) gives the run no chance to close its parent run: the next one does."""
    project = copy_project(tmp_path / "project")
    quick = {**PARAMS, "training": {**PARAMS["training"], "epochs": 6, "iterations_per_epoch": 2}}
    (project / "conf/local/parameters.yml").write_text(yaml.safe_dump(quick))
    run = _start(project)
    models = project / "data/06_models"
    deadline = time.monotonic() + 600
    # the training node's last output: its model and history are whole (a kill between them is resume's case)
    while not any((models / m / "site_curves.csv").exists() for m in MODELS):
        assert run.poll() is None, run.communicate()[1][-3000:]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    run.kill()
    run.communicate(timeout=60)
    assert run.returncode == -signal.SIGKILL
    lock = json.loads((project / "data/.kedro_run.lock").read_text())
    dead_id = lock["mlflow_run_id"]
    assert lock["pid"] == run.pid and lock["tracking_uri"] == tracking_uri(project)
    records = {m: torch.load(models / m / "model.pt", weights_only=False) for m in MODELS
               if (models / m / "model.pt").exists() and (models / m / "training_history.csv").exists()}
    finished = sorted(m for m, r in records.items()
                      if r.get("state_dict") is not None and r["run"]["mlflow_run_id"] == dead_id)
    assert finished  # the kill came after the first model was saved

    rerun = _start(project, columns=1000)  # wide: the log line is checked whole
    stdout, stderr = rerun.communicate(timeout=900)
    assert rerun.returncode == 0, stderr[-3000:]
    assert (f"Closed MLflow run {dead_id} of the run that died (PID {run.pid}, started {lock['started']}): marked "
            f"KILLED with its {len(finished)} finished model(s)") in stdout + stderr  # Kedro logs to stdout

    client = MlflowClient(tracking_uri=tracking_uri(project))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    parents = {r.info.run_id: r for r in runs if "mlflow.parentRunId" not in r.data.tags}
    assert parents[dead_id].info.status == "KILLED"
    assert sorted(r.data.tags["model"] for r in runs if r.data.tags.get("mlflow.parentRunId") == dead_id) == finished
    (new,) = [r for i, r in parents.items() if i != dead_id]
    assert new.info.status == "FINISHED" and new.data.tags["kedro_env"] == "local"  # the default run env, not None
    assert not (project / "data/.kedro_run.lock").exists()
