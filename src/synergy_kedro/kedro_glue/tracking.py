"""MLflow tracking: one parent run per ``kedro run``, one nested run per trained model.

Everything here runs in the driver process and reads what the pipeline *persisted* (weights,
history, per-site metrics, reports) through the catalog, never from inside a node: nodes stay
pure, and tracking works the same under the sequential, thread and parallel runners (node hooks
do not fire in ParallelRunner workers; kedro-mlflow has no nested runs). The explicit
``MlflowClient`` is used instead of the fluent API so no global "active run" leaks between runs.
"""

from __future__ import annotations

import copy
import errno
import json
import logging
import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from mlflow.entities import Metric, Param
from mlflow.tracking import MlflowClient
from pydantic import BaseModel

from synergy_kedro.core.errors import UserError
from synergy_kedro.evaluation.metrics import METRIC_COLUMNS
from synergy_kedro.kedro_glue.tracking_models import (
    TrainingData,
    dataset_input,
    log_network,
    register_network,
    registered_model_name,
)

log = logging.getLogger(__name__)

MAX_PARAM_LENGTH = 500


def resolve_tracking_uri(configured: str | None, project_path: Path) -> str:
    """``MLFLOW_TRACKING_URI`` wins, then conf's ``tracking_uri``, then ``<project>/mlflow.db``."""
    return os.environ.get("MLFLOW_TRACKING_URI") or configured or f"sqlite:///{(project_path / 'mlflow.db').as_posix()}"


def flatten(params: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested parameters → ``{"training.hidden_size": "64", ...}``; long values are cut (they belong in artifacts)."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = f"{prefix}{key}"
        if isinstance(value, BaseModel):  # Kedro turns a block a node annotates with its model into the model
            value = value.model_dump()
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            text = json.dumps(value) if isinstance(value, list | tuple) else str(value)
            flat[name] = text if len(text) <= MAX_PARAM_LENGTH else text[: MAX_PARAM_LENGTH - 3] + "..."
    return flat


def git_sha(project_path: Path) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=project_path, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


class TrackingUnavailableError(UserError, RuntimeError):
    """The MLflow tracking store cannot be reached; raised before any node runs."""


class RunTracker:
    """Owns the parent run of one ``kedro run`` and logs its models and reports."""

    def __init__(self, tracking_uri: str, experiment_name: str, artifact_location: str | None,
                 register_models: bool = False) -> None:
        if tracking_uri.startswith(("http://", "https://")):
            # Fail in seconds, not after MLflow's minutes of retries, when a server is down.
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
        self.tracking_uri = tracking_uri
        try:
            with quiet_store_logs():
                self.client = MlflowClient(tracking_uri=tracking_uri)
                experiment = self.client.get_experiment_by_name(experiment_name)
                self.experiment_id = (experiment.experiment_id if experiment else
                                      self.client.create_experiment(experiment_name,
                                                                    artifact_location=artifact_location))
        except Exception as exc:  # any store failure means the same to the user
            raise TrackingUnavailableError(store_unavailable(tracking_uri, exc)) from exc
        self.parent_id: str | None = None
        self.logged_models: set[str] = set()
        self.register_models = register_models
        self.experiment_name = experiment_name

    def start(self, run_name: str, tags: Mapping[str, str], params: Mapping[str, Any]) -> str:
        try:  # the first write: a read-only store (file or folder) fails here, before any node runs
            with quiet_store_logs():
                run = self.client.create_run(self.experiment_id, run_name=run_name, tags=dict(tags))
                self.parent_id = run.info.run_id
                self._log_params(self.parent_id, flatten(params))
        except Exception as exc:
            raise TrackingUnavailableError(store_unavailable(self.tracking_uri, exc)) from exc
        return self.parent_id

    def for_parent(self, run_id: str) -> RunTracker:
        """A tracker of another (earlier) parent run in the same store: what it logs goes under ``run_id``.

        Models already nested under that run count as logged, so none is logged twice.
        """
        other = copy.copy(self)
        other.parent_id = run_id
        other.experiment_id = self.client.get_run(run_id).info.experiment_id
        nested = self.client.search_runs([other.experiment_id], f"tags.mlflow.parentRunId = '{run_id}'")
        other.logged_models = {r.data.tags["model"] for r in nested if "model" in r.data.tags}
        return other

    def status(self, run_id: str) -> str:
        """RUNNING, FINISHED, FAILED or KILLED."""
        return self.client.get_run(run_id).info.status

    def log_model(self, name: str, model: dict, history: pd.DataFrame, site_metrics: pd.DataFrame,
                  train_sites: dict, data: TrainingData) -> str:
        """A nested run with the model's params, loss curve, test metrics, files, training data and network.

        The network is a logged model (:mod:`synergy_kedro.kedro_glue.tracking_models`) rather than a file, so
        the UI lists it and ``mlflow.pytorch.load_model`` gives it back.
        """
        started, ended = model.get("trained") or (None, None)  # the training's own wall-clock span
        run = self.client.create_run(self.experiment_id, run_name=name,
                                     start_time=int(started * 1000) if started else None,
                                     tags={"mlflow.parentRunId": self.parent_id, "model": name,
                                           "procedure": str((model.get("procedure") or {}).get("name")),
                                           "region": str(model.get("region")), "skipped": str(bool(model.get("skipped")))})
        rid = run.info.run_id
        params = {"model": name, "region": model.get("region"), "target": model.get("target"),
                  "n_sites": model.get("n_sites"), "n_observations": model.get("n_observations"),
                  "reused_from_earlier_run": bool(model.get("reused", False)),
                  # settings (but epochs) and data the weights came from: equal fingerprints, comparable models
                  "fingerprint": model.get("fingerprint"),
                  "inputs.dynamic": model.get("dynamic"), "inputs.static": model.get("static"),
                  **{f"training.{k}": v for k, v in (model.get("config") or {}).items()},
                  **{f"procedure.{k}": v for k, v in (model.get("procedure") or {}).items()},
                  **{f"design.{k}": v for k, v in (model.get("design") or {}).items()}}
        if model.get("skipped"):
            params["skipped_reason"] = model["skipped"]
        params.update(_epoch_plan_params(history))
        flat = flatten(params)
        self._log_params(rid, flat)
        metrics = [Metric("train_loss", float(row.loss), 0, int(row.epoch)) for row in history.itertuples()
                   if pd.notna(row.loss)]
        metrics += _curve_metrics(history)
        for col in METRIC_COLUMNS:
            if col in site_metrics and site_metrics[col].notna().any():
                metrics.append(Metric(f"test_median_{col}", float(site_metrics[col].median()), 0, 0))
        if len(site_metrics):
            metrics.append(Metric("test_n_sites", float(site_metrics[METRIC_COLUMNS[0]].notna().sum()), 0, 0))
        for i in range(0, len(metrics), 900):
            self.client.log_batch(rid, metrics=metrics[i : i + 900])
        with tempfile.TemporaryDirectory() as tmp:
            site_metrics.to_csv(Path(tmp) / "site_metrics.csv", index=False)
            history.to_csv(Path(tmp) / "training_history.csv", index=False)
            (Path(tmp) / "train_sites.json").write_text(json.dumps(train_sites, indent=1))
            for f in ("site_metrics.csv", "training_history.csv", "train_sites.json"):
                self.client.log_artifact(rid, str(Path(tmp) / f))
        sites = train_sites.get("sites", [])
        self.client.log_inputs(rid, datasets=[dataset_input(name, model, sites, data)])
        if model.get("state_dict") is not None:
            model_id = log_network(self.client, self.experiment_id, rid, name, model, data, flat, sites)
            if self.register_models:
                register_network(self.client, registered_model_name(self.experiment_name, model, name), model_id, rid)
        self.client.set_terminated(rid, "FINISHED", end_time=int(ended * 1000) if ended else None)
        self.logged_models.add(name)
        return rid

    def log_pooled(self, name: str, table: pd.DataFrame) -> None:
        """The pooled ("All") row(s) of a comparison table as parent-run metrics, so kedro runs compare in MLflow.

        ``global_vs_local_table`` gives ``global_vs_local.RMSE_share_global_better`` …; the
        similar-vs-dissimilar tables one set per pair (``svd_all_data.local_vs_close.RMSE_p`` …).
        """
        pooled = table[table["region"].astype(str) == "All"]
        metrics = []
        for _, row in pooled.iterrows():
            prefix = name.removesuffix("_table")
            if "pair" in row:
                prefix += "." + str(row["pair"]).replace(" ", "_")
            metrics += [Metric(f"{prefix}.{col}", float(value), 0, 0) for col, value in row.items()
                        if col not in ("region", "pair") and pd.notna(value) and isinstance(value, (int, float))]
        for i in range(0, len(metrics), 900):
            self.client.log_batch(self.parent_id, metrics=metrics[i : i + 900])

    def log_table(self, name: str, table: pd.DataFrame) -> None:
        """A small table built at logging time (e.g. skipped models) as ``reports/<name>.csv``."""
        self.client.log_text(self.parent_id, table.to_csv(index=False), f"reports/{name}.csv")

    def log_report_file(self, path: str) -> None:
        """A persisted report as-is, under ``reports/`` with its folders below ``08_reporting`` kept."""
        parts = Path(path).parts
        below = parts[parts.index("08_reporting") + 1 : -1] if "08_reporting" in parts else ()
        self.client.log_artifact(self.parent_id, path, "/".join(("reports", *below)))

    def end(self, status: str) -> None:
        if self.parent_id:
            self.client.set_terminated(self.parent_id, status)

    def _log_params(self, run_id: str, params: Mapping[str, str]) -> None:
        items = [Param(k, str(v)) for k, v in params.items()]
        for i in range(0, len(items), 100):
            self.client.log_batch(run_id, params=items[i : i + 100])


def store_unavailable(tracking_uri: str, exc: BaseException, outer: BaseException | None = None) -> str:
    """What to do when the tracking store fails: a read-only or full SQLite file, a damaged one, a server down.

    ``outer``: the exception being handled when the store failed (e.g. the pipeline's error), which
    Python chains to the store's as its context; it is not the store's cause, so it is left out.
    """
    detail = _root_cause(exc, outer)
    if tracking_uri.startswith("sqlite:///"):
        path = tracking_uri.removeprefix("sqlite:///")
        problem = store_problem(exc, outer)
        if problem == "read-only":
            return (f"MLflow database {path} is read-only: make it writable (chmod u+w {shlex.quote(path)} and its "
                    f"folder; chattr -i if it is immutable) or point MLFLOW_TRACKING_URI / conf/<env>/mlflow.yml "
                    f"tracking_uri elsewhere ({detail}).")
        if problem == "full":
            return (f"The disk holding MLflow database {path} is full ({detail}): free space on it or point "
                    "MLFLOW_TRACKING_URI / conf/<env>/mlflow.yml tracking_uri elsewhere, then run the same command "
                    "again (finished models are kept and reused).")
        return (f"MLflow database {path} cannot be used ({detail}). If the file is damaged or not an MLflow "
                f"database, move it aside (mv {path} {path}.bad) and run again: a new one is created, and the "
                "trained models in data/ are kept. If it is read-only, make it writable or point "
                "MLFLOW_TRACKING_URI / conf/<env>/mlflow.yml tracking_uri elsewhere.")
    return (f"MLflow tracking store {tracking_uri} cannot be reached ({detail}). Start the server, or point "
            "MLFLOW_TRACKING_URI / conf/<env>/mlflow.yml tracking_uri elsewhere, or set enabled: false in "
            "mlflow.yml to run without tracking.")


def _chain(exc: BaseException, outer: BaseException | None = None) -> Iterator[BaseException]:
    """``exc`` and its causes (``raise … from``, or raised while handling), outermost first, up to ``outer``'s chain."""
    seen: set[int] = {id(e) for e in _chain(outer)} - {id(exc)} if outer is not None else set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def store_problem(exc: BaseException, outer: BaseException | None = None) -> str | None:
    """"read-only" or "full" where ``exc`` (anywhere in its chain) says the store cannot be written for that reason.

    SQLAlchemy's own message of a read-only SQLite file starts with "(raised as a result of Query-invoked
    autoflush …)", so the text of every exception in the chain is searched, not the first line.
    """
    chain = list(_chain(exc, outer))
    text = " ".join(str(e) for e in chain).lower()
    codes = {e.errno for e in chain if isinstance(e, OSError)}
    if "readonly database" in text or "read-only" in text or "read only" in text or errno.EROFS in codes:
        return "read-only"
    if "database or disk is full" in text or "no space left" in text or codes & {errno.ENOSPC, errno.EDQUOT}:
        return "full"
    return None


def _root_cause(exc: BaseException, outer: BaseException | None = None, limit: int = 400) -> str:
    """The innermost cause as ``Type: first line``; a line longer than ``limit`` is cut after a whole sentence."""
    root = exc
    for cause in _chain(exc, outer):
        if str(cause).strip():
            root = cause
    lines = str(root).strip().splitlines()
    line = lines[0] if lines else ""
    if len(line) > limit:
        end = line.rfind(". ", 0, limit)
        line = line[: end + 1] + " …" if end > 0 else line
    return f"{type(root).__name__}: {line}"


def one_line(exc: BaseException, outer: BaseException | None = None) -> str:
    """An exception as one line for a log message: what the store said, or the innermost cause (see ``outer``)."""
    problem = store_problem(exc, outer)
    reason = {"read-only": "the tracking store is read-only", "full": "the disk holding the tracking store is full"}
    cause = _root_cause(exc, outer)
    return f"{reason[problem]} ({cause})" if problem else cause


class _DropErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno < logging.ERROR


#: MLflow's SQL store logs every failed write with its traceback (ERROR) before raising the same error.
STORE_LOGGERS = ("mlflow.store.db.utils",)


@contextmanager
def quiet_store_logs() -> Iterator[None]:
    """Drop the store's own error logs (tracebacks) while the caller reports the raised error in one line."""
    loggers = [logging.getLogger(name) for name in STORE_LOGGERS]
    drop = _DropErrors()
    for logger in loggers:
        logger.addFilter(drop)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(drop)


def model_namespaces(dataset_names: Iterable[str]) -> list[str]:
    """Namespaces of the models a pipeline trains: those with a ``<ns>.model`` dataset."""
    return sorted(name[: -len(".model")] for name in dataset_names if name.endswith(".model"))


def _curve_metrics(history: pd.DataFrame) -> list[Metric]:
    """The learning curves (``training.eval_every``): ``curve_median_<metric>`` per scored epoch (step = epoch)."""
    curves = [c for c in history.columns if c.startswith("test_median_")]
    return [Metric(f"curve_{c.removeprefix('test_')}", float(value), 0, int(epoch))
            for c in curves for epoch, value in zip(history["epoch"], history[c], strict=False) if pd.notna(value)]


def _epoch_plan_params(history: pd.DataFrame) -> dict[str, int]:
    """The batch the model really trained with (hydroDL's cap at its site count) and its updates.

    These differ between models of one run (a region smaller than a batch trains with its site
    count), so the MLflow comparison view must show them beside ``training.batch_size``.
    """
    if history.empty or "batch_size" not in history:
        return {}
    last = history.iloc[-1]
    return {"effective_batch_size": int(last["batch_size"]), "iterations_per_epoch": int(last["iterations"]),
            "updates": int(history["iterations"].sum())}

