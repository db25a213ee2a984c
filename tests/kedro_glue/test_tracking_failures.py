"""A tracking store that fails: one clear line, the run lock always released, a dead run's record kept."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import DataCatalog, MemoryDataset
from mlflow.exceptions import MlflowException

from synergy_kedro.kedro_glue.hooks import MlflowTrackingHooks, RunLockHooks
from synergy_kedro.kedro_glue.run_lock import LOCK_NAME, RunLock
from synergy_kedro.kedro_glue.tracking import TrackingUnavailableError, one_line, store_unavailable


def _store_error(message: str) -> MlflowException:
    """An error as MLflow's SQL store raises it: its own exception, caused by SQLAlchemy's, caused by sqlite3's."""
    try:
        try:
            raise sqlite3.OperationalError(message)
        except sqlite3.OperationalError as inner:
            raise MlflowException("(raised as a result of Query-invoked autoflush; consider using a "
                                  "session.no_autoflush block if this flush is occurring prematurely)") from inner
    except MlflowException as outer:
        return outer


class FullStore:
    """A tracker whose every write fails as on a full disk."""

    tracking_uri = "sqlite:////data/mlflow.db"
    parent_id = "parent123"
    logged_models: set[str] = set()

    def _fail(self, *args, **kwargs):
        raise _store_error("database or disk is full")

    end = log_pooled = log_report_file = log_table = log_model = _fail


class Pipeline:
    def datasets(self) -> set[str]:
        return {"global_vs_local_table"}


@pytest.fixture
def hooks(tmp_path):
    """Lock and tracking hooks registered with Kedro's own hook manager (pluggy), the lock taken."""
    lock = RunLockHooks()
    lock._folder = tmp_path
    tracking = MlflowTrackingHooks(lock)
    manager = _create_hook_manager()
    for hook in (lock, tracking):  # registered in settings.HOOKS' order
        manager.register(hook)
    lock.before_pipeline_run(run_params={}, pipeline=None, catalog=None)
    assert (tmp_path / LOCK_NAME).exists()
    return manager, lock, tracking


def _catalog() -> DataCatalog:
    return DataCatalog({"global_vs_local_table": MemoryDataset(pd.DataFrame({"region": ["All"], "x": [1.0]}))})


def test_a_full_store_at_a_pipeline_error_logs_one_line_each_and_leaves_the_lock_for_the_next_run(hooks, tmp_path,
                                                                                                   caplog):
    manager, lock, tracking = hooks
    tracking._tracker = FullStore()
    try:
        raise OSError(28, "No space left on device", "data/06_models/local_C/model.pt")  # the pipeline's error
    except OSError as error:
        manager.hook.on_pipeline_error(error=error, run_params={}, pipeline=Pipeline(), catalog=_catalog())
    # pluggy went on to the lock's hook, which leaves the file for the next run to close the RUNNING parent
    assert (tmp_path / LOCK_NAME).exists() and not lock.taken_over
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.exc_info for r in warnings] == [None, None, None]  # one line each, no traceback
    assert "marks MLflow run parent123, which this run could not close, KILLED" in warnings[2].getMessage()
    follower = RunLock(tmp_path)
    follower.acquire()  # the next run: this process is the "dead" holder here
    assert follower.held and follower.taken_over is not None
    assert "Could not log the finished models of the failed run" in warnings[0].getMessage()
    assert "Could not mark MLflow run parent123 of the failed run FAILED" in warnings[1].getMessage()
    for record in warnings[:2]:  # the store's own cause, not the pipeline's error it was raised while handling
        assert "the disk holding the tracking store is full (OperationalError: database or disk is full)" \
            in record.getMessage()
        assert "local_C" not in record.getMessage()


def test_a_full_store_at_an_interrupt_never_raises(hooks, tmp_path, caplog):
    _, lock, tracking = hooks
    tracking._tracker = FullStore()
    tracking._running = (Pipeline(), _catalog())
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        tracking.on_interrupt()
        lock.on_interrupt()
    assert (tmp_path / LOCK_NAME).exists()  # left: the parent could not be marked, the next run closes it
    assert "Could not mark MLflow run parent123 of the interrupted run KILLED" in caplog.text
    assert "Traceback" not in caplog.text


def test_a_tracking_store_failing_at_the_start_releases_the_lock(hooks, tmp_path, monkeypatch):
    """Kedro calls no on_pipeline_error for a before_pipeline_run failure: the tracking hooks release the lock."""
    manager, _, tracking = hooks
    damaged = tmp_path / "mlflow.db"
    damaged.write_bytes(b"not sqlite at all " * 200)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{damaged}")
    catalog = DataCatalog()
    with pytest.raises(TrackingUnavailableError, match="cannot be used"):
        tracking.before_pipeline_run(run_params={"run_id": "s1", "env": None}, pipeline=Pipeline(), catalog=catalog)
    assert not (tmp_path / LOCK_NAME).exists()
    assert catalog.load("run_identity") == {"kedro_session_id": "s1", "mlflow_run_id": None}


def test_a_store_failing_after_the_run_finished_leaves_the_lock_and_says_so(hooks, tmp_path, caplog):
    manager, _, tracking = hooks
    tracking._tracker = FullStore()
    tracking.last_run = (FullStore.tracking_uri, FullStore.parent_id)
    with pytest.raises(TrackingUnavailableError, match=r"The run finished, but logging it to MLflow failed: The disk "
                                                       r"holding MLflow database /data/mlflow.db is full"):
        manager.hook.after_pipeline_run(run_params={}, run_result={}, pipeline=Pipeline(), catalog=_catalog())
    assert (tmp_path / LOCK_NAME).exists()  # the parent stays RUNNING: left for the next run to close


def test_a_read_only_database_is_named_as_such_whatever_sqlalchemy_says_first():
    message = store_unavailable("sqlite:////my project/mlflow.db", _store_error("attempt to write a readonly database"))
    assert message.startswith("MLflow database /my project/mlflow.db is read-only: make it writable (chmod u+w "
                              "'/my project/mlflow.db'")
    assert "MLFLOW_TRACKING_URI / conf/<env>/mlflow.yml tracking_uri elsewhere" in message
    assert "move it aside" not in message and "autoflush" not in message


def test_a_long_server_error_is_not_cut_mid_sentence():
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except ConnectionRefusedError as inner:
            raise MlflowException("API request to http://host:5000/api/2.0/mlflow/experiments/get-by-name failed "
                                  "with exception " + "x" * 400) from inner
    except MlflowException as exc:
        message = store_unavailable("http://host:5000", exc)
    assert "cannot be reached (ConnectionRefusedError: [Errno 111] Connection refused). Start the server" in message
    long = MlflowException("First sentence. " + "Second sentence is long " * 30 + ". Third.")
    assert one_line(long) == "MlflowException: First sentence. …"


def test_the_lock_records_the_parent_run_and_a_takeover_keeps_the_dead_holders_record(tmp_path):
    lock = RunLock(tmp_path)
    lock.acquire()
    lock.record(mlflow_run_id="abc", tracking_uri="sqlite:///x.db", kedro_session_id="s1")
    record = json.loads((tmp_path / LOCK_NAME).read_text())
    assert record["pid"] == os.getpid() and record["mlflow_run_id"] == "abc" and record["kedro_session_id"] == "s1"
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCK_NAME]  # no temporary file left
    assert lock.taken_over is None

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_NAME).write_text(json.dumps({**record, "pid": dead.pid}))
    lock.held = False
    successor = RunLock(tmp_path)
    successor.acquire()
    assert successor.taken_over == {**record, "pid": dead.pid}
    assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    assert "mlflow_run_id" not in json.loads((tmp_path / LOCK_NAME).read_text())
    successor.release()


class RecordingStore:
    """A tracker of a working store that records what it is asked to log."""

    tracking_uri = "sqlite:////data/mlflow.db"
    parent_id = "dead123"

    def __init__(self) -> None:
        self.logged_models: set[str] = set()
        self.logged: list[str] = []
        self.ended: str | None = None

    def status(self, run_id: str) -> str:
        return "RUNNING"

    def for_parent(self, run_id: str) -> RecordingStore:
        return self

    def log_model(self, name: str, *args) -> None:
        self.logged.append(name)

    def end(self, status: str) -> None:
        self.ended = status


def test_a_model_whose_files_a_full_disk_cut_short_does_not_stop_the_dead_run_being_closed(hooks, tmp_path, caplog):
    """The dead run froze between saving a model's weights and its history: the empty history is skipped."""
    from kedro_datasets.pandas import CSVDataset

    _, lock, tracking = hooks
    identity = {"kedro_session_id": "s0", "mlflow_run_id": "dead123"}
    lock._lock.taken_over = {**identity, "pid": 1, "tracking_uri": RecordingStore.tracking_uri}
    (tmp_path / "empty.csv").write_text("")
    history = pd.DataFrame({"epoch": [1], "loss": [0.5]})
    catalog = DataCatalog({
        "global.model": MemoryDataset({"run": identity, "state_dict": {}}),
        "global.training_history": MemoryDataset(history), "global.train_sites": MemoryDataset({}),
        "local_C.model": MemoryDataset({"run": identity, "state_dict": {}}),
        "local_C.training_history": CSVDataset(filepath=str(tmp_path / "empty.csv")),
        "local_C.train_sites": MemoryDataset({}),
    })
    pipeline = type("P", (), {"datasets": lambda self: set(catalog.keys())})()
    tracking._tracker, tracking._params = RecordingStore(), {"periods": {"train": ["2010-01-01", "2010-12-31"]}}
    tracking._close_dead_run(pipeline, catalog)
    assert tracking._tracker.logged == ["global"] and tracking._tracker.ended == "KILLED"
    assert "Model local_C is not logged to MLflow: its files could not be read" in caplog.text
    assert "Closed MLflow run dead123 of the run that died (PID 1, started ?): marked KILLED with its 1 finished" \
        in caplog.text
