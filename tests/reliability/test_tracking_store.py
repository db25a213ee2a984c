"""`kedro run` against a tracking store that cannot be written or reached: one clear line, no traceback, and no
lock left, or, where the parent run could not be closed, the lock left for the next run to close it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
import yaml
from mlflow.tracking import MlflowClient

from synergy_kedro.kedro_glue.run_lock import LOCK_NAME
from synergy_kedro.kedro_glue.tracking import RunTracker
from tests.kedro_project import copy_project, tracking_uri
from tests.reliability.test_interrupt import MODELS, PARAMS

TINY = ["--params", "training.epochs=1,training.hidden_size=8,training.iterations_per_epoch=2,"
        "ingestion.virtual_conus.sites_per_subregion=3"]


def _kedro_run(project, uri: str, *args: str, **variables: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "COLUMNS": "1000", **variables}
    return subprocess.run([sys.executable, "-m", "kedro", "run", "--pipeline", "global_vs_local", *args], cwd=project,
                          env=env, capture_output=True, text=True, timeout=300)


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here ({done.stderr.strip()}): root writes any file, so a mount is the only way")


def test_a_read_only_mlflow_database_is_one_line_saying_so_and_leaves_no_lock(tmp_path):
    project = copy_project(tmp_path / "project")
    store, readonly = tmp_path / "store", tmp_path / "readonly"
    store.mkdir()
    readonly.mkdir()
    RunTracker(f"sqlite:///{store}/mlflow.db", "synergy_kedro", None)  # a real store with its tables
    _mount("--bind", str(store), str(readonly))
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(readonly)], check=True)
        done = _kedro_run(project, f"sqlite:///{readonly}/mlflow.db", *TINY)
    finally:
        subprocess.run(["umount", "--lazy", str(readonly)], check=True)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output[-3000:]
    assert (f"Error: MLflow database {readonly}/mlflow.db is read-only: make it writable (chmod u+w "
            f"{readonly}/mlflow.db and its folder") in done.stderr
    assert "move it aside" not in output and "autoflush" not in output
    assert "Traceback" not in output  # MLflow's store logger prints none either
    assert not (project / "data" / LOCK_NAME).exists()


def test_an_unreachable_tracking_server_is_named_whole_and_leaves_no_lock(tmp_path):
    project = copy_project(tmp_path / "project")
    done = _kedro_run(project, "http://127.0.0.1:9", *TINY, MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
                      MLFLOW_HTTP_REQUEST_TIMEOUT="3")
    assert done.returncode == 1, done.stderr[-3000:]
    assert ("Error: MLflow tracking store http://127.0.0.1:9 cannot be reached (ConnectionRefusedError: [Errno 111] "
            "Connection refused). Start the server") in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert not (project / "data" / LOCK_NAME).exists()


def test_a_disk_that_fills_during_training_gives_one_error_and_the_next_run_closes_its_mlflow_run(tmp_path):
    """The issue's case: the project's disk (data/ and mlflow.db) fills while a model trains."""
    disk = tmp_path / f"disk-{uuid.uuid4().hex[:6]}"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=300m", "tmpfs", str(disk))
    run = None
    try:
        project = copy_project(disk / "project")
        quick = {**PARAMS, "training": {**PARAMS["training"], "epochs": 6, "iterations_per_epoch": 2}}
        (project / "conf/local/parameters.yml").write_text(yaml.safe_dump(quick))
        env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri(project), "COLUMNS": "1000"}
        out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"  # files, not pipes: nobody reads them while it runs
        with out.open("w") as stdout_file, err.open("w") as stderr_file:
            run = subprocess.Popen([sys.executable, "-m", "kedro", "run", "--pipeline", "global_vs_local"],
                                   cwd=project, env=env, stdout=stdout_file, stderr=stderr_file)
        models = project / "data/06_models"
        deadline = time.monotonic() + 600
        while not any((models / m / "model.pt").exists() for m in MODELS):
            assert run.poll() is None, err.read_text()[-3000:]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        run.send_signal(signal.SIGSTOP)  # the disk fills while the run is frozen after its first model
        subprocess.run(["dd", "if=/dev/zero", f"of={disk}/filler", "bs=1M"], capture_output=True)
        run.send_signal(signal.SIGCONT)
        run.wait(timeout=300)
        stdout, stderr = out.read_text(), err.read_text()
        output = stdout + stderr
        assert run.returncode == 1, output[-3000:]
        assert "Error: Cannot write or read" in stderr and "the disk is full" in stderr
        assert "Traceback" not in output  # neither ours nor MLflow's store logger's
        # the store could not be written: said in one line each; the parent stays RUNNING, so the lock (whose
        # record names it) is left for the next run, which closes it once the disk has room again
        assert "the disk holding the tracking store is full (OperationalError: database or disk is full)" in stdout
        record = json.loads((project / "data" / LOCK_NAME).read_text())
        assert "is left in place: the next run on this folder takes it over" in stdout
        (disk / "filler").unlink()
        again = subprocess.run([sys.executable, "-m", "kedro", "run", "--pipeline", "global_vs_local"], cwd=project,
                               env=env, capture_output=True, text=True, timeout=600)
        assert again.returncode == 0, again.stderr[-3000:]
        said = [line for line in (again.stdout + again.stderr).splitlines() if "MLflow" in line or "lock" in line]
        assert f"Closed MLflow run {record['mlflow_run_id']} of the run that died" in again.stdout + again.stderr, (
            "\n".join(said) + "\n--- the first run said:\n" + output[-4000:])
        assert not (project / "data" / LOCK_NAME).exists()
        assert MlflowClient(tracking_uri(project)).get_run(record["mlflow_run_id"]).info.status == "KILLED"
    finally:
        if run is not None and run.poll() is None:
            run.kill()
            run.wait()
        subprocess.run(["umount", "--lazy", str(disk)], check=True)
