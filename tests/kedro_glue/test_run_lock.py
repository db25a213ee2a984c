"""One run per output folder: a second refuses naming the first; a dead holder's lock is taken over."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
import yaml

from synergy_kedro.kedro_glue.run_lock import LOCK_NAME, RunInProgressError, RunLock
from tests.kedro_project import copy_project, tracking_uri


def test_a_live_holder_refuses_a_second_lock_and_a_dead_one_is_taken_over(tmp_path, caplog):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / LOCK_NAME).write_text(json.dumps({"pid": sleeper.pid, "host": os.uname().nodename,
                                                      "started": "2026-12-03T08:00:00+00:00"}))
        with pytest.raises(RunInProgressError, match=rf"PID {sleeper.pid}, started 2026-12-03T08:00:00"):
            RunLock(tmp_path).acquire()
    finally:
        sleeper.kill()
        sleeper.wait()
    lock = RunLock(tmp_path)
    lock.acquire()  # the holder is gone
    assert "no longer running" in caplog.text
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    lock.release()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_second_kedro_run_on_the_same_folder_refuses_at_once(tmp_path):
    project = copy_project(tmp_path / "project")
    (project / "conf/local/parameters.yml").write_text(yaml.safe_dump({
        "ingestion": {"virtual_conus": {"sites_per_subregion": 3, "sites_per_focus_l3": 0, "n_years": 2}},
        "periods": {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]},
        "training": {"hidden_size": 8, "epochs": 200, "iterations_per_epoch": 3}}))
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri(project)}
    command = [sys.executable, "-m", "kedro", "run", "--pipeline", "global_vs_local"]
    first = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 300
        while not (project / "data" / LOCK_NAME).exists():
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        second = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, timeout=300)
        assert second.returncode == 1
        assert f"Another kedro run (PID {first.pid}" in " ".join(second.stderr.split())
        assert "Traceback" not in second.stderr
    finally:
        first.kill()
        first.wait()
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri(project))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    assert len([r for r in runs if "mlflow.parentRunId" not in r.data.tags]) == 1  # the refused run left no trace
