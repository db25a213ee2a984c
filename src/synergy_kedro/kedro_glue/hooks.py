"""Wires :mod:`synergy_kedro.kedro_glue.tracking` into Kedro's run lifecycle (driver-side hooks only)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.framework.hooks import hook_impl
from kedro.io import DatasetError
from mlflow.exceptions import MlflowException

from synergy_kedro.core.parameters import validate_parameters
from synergy_kedro.evaluation.run_summary import run_summary
from synergy_kedro.kedro_glue import structure_config
from synergy_kedro.kedro_glue.node_parameters import node_parameters
from synergy_kedro.kedro_glue.run_folder import run_folder
from synergy_kedro.kedro_glue.run_lock import RunLock
from synergy_kedro.kedro_glue.tracking import (
    RunTracker,
    TrackingUnavailableError,
    git_sha,
    model_namespaces,
    one_line,
    quiet_store_logs,
    resolve_tracking_uri,
    store_problem,
    store_unavailable,
)
from synergy_kedro.kedro_glue.tracking_models import TrainingData

log = logging.getLogger(__name__)

MODEL_DATASETS = ("model", "training_history", "site_metrics", "train_sites")


class PipelineStructureHooks:
    """Checks the run's parameters, then hands them to ``register_pipelines`` before Kedro asks for pipelines."""

    @hook_impl
    def after_context_created(self, context) -> None:
        from kedro.framework.project import pipelines

        parameters = context.config_loader["parameters"]
        # before any node runs: one error naming every bad key; the registry builds on the validated model
        structure_config.remember(validate_parameters(parameters))
        # Kedro's documented reset of the pipelines it has loaded: the next access registers them
        # again, with this run's regions and ROIs (e.g. a second session in the same process).
        # Named, not imported: the registry imports the pipelines, which sit above this glue.
        pipelines.configure(f"{__name__.split('.')[0]}.pipeline_registry")

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        """The nodes' parameters as the validated model holds them (:mod:`.node_parameters`)."""
        params = structure_config.parameters()
        if params is not None:
            for name, value in node_parameters(params).items():
                catalog[name] = value


class RunLockHooks:
    """Holds :class:`~synergy_kedro.kedro_glue.run_lock.RunLock` on the run's output folder from start to end."""

    def __init__(self) -> None:
        self._folder = Path("data")
        self._lock: RunLock | None = None
        self._left_for: str | None = None  # an MLflow run this run could not close: the next run closes it

    @hook_impl
    def after_context_created(self, context) -> None:
        # SYNERGY_RUN_FOLDER (kedro_glue/run_folder.py) puts a run's layers 02-08 in a sub-folder, as the catalog does
        outputs = context.config_loader["globals"].get("outputs", "data")
        self._folder = Path(context.project_path) / outputs / run_folder()

    @hook_impl(tryfirst=True)  # before the MLflow parent run exists: a refused run leaves no trace
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        self._lock = RunLock(self._folder)
        self._lock.acquire()

    @property
    def taken_over(self) -> dict[str, Any] | None:
        """The lock record of the dead run whose lock this run took over (None if the folder was free)."""
        return self._lock.taken_over if self._lock else None

    def record(self, **fields: Any) -> None:
        """Add ``fields`` to the held lock's record (the MLflow parent run, so a later run can close it)."""
        if self._lock:
            self._lock.record(**fields)

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], run_result: dict[str, Any], pipeline, catalog) -> None:
        self.on_interrupt()

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any], pipeline, catalog) -> None:
        self.on_interrupt()

    def leave_for_next_run(self, mlflow_run_id: str) -> None:
        """At the end, leave the lock file (with its record of ``mlflow_run_id``) instead of deleting it."""
        self._left_for = mlflow_run_id

    def on_interrupt(self) -> None:
        if self._lock:
            if self._left_for:
                self._lock.leave()
                log.warning("The run lock %s is left in place: the next run on this folder takes it over and marks "
                            "MLflow run %s, which this run could not close, KILLED.", self._lock.path, self._left_for)
            else:
                self._lock.release()
            self._lock = None
        self._left_for = None


class MlflowTrackingHooks:
    """Parent run at pipeline start; nested runs and reports at the end, or at a failure.

    Logging what was persisted at the end (or on error, before marking the parent FAILED) means an
    interrupted run still shows every model that finished. A run killed without a chance to do so
    (``kill -9``, a machine that died) is closed by the next run on the same folder: it takes over
    the dead run's lock, whose record names the dead parent run (:meth:`_close_dead_run`).

    The error paths never raise: an exception there would stop pluggy from calling the run lock's
    release, and would bury the run's own one-line error under tracebacks.
    """

    def __init__(self, lock: RunLockHooks | None = None) -> None:
        self._lock = lock
        self._conf: dict[str, Any] = {}
        self._project_path = Path.cwd()
        self._env: str | None = None
        self._tracker: RunTracker | None = None
        self._running: tuple[Any, Any] | None = None  # (pipeline, catalog) of the run in progress
        self._params: dict[str, Any] = {}
        self._identity: dict[str, str | None] = {}  # this run's ids, as the training nodes stamp them
        self.last_run: tuple[str, str] | None = None  # (tracking URI, parent run id) of the latest run

    @hook_impl
    def after_context_created(self, context) -> None:
        self._project_path = Path(context.project_path)
        # the environment Kedro really reads: --env / KEDRO_ENV, else settings' default_run_env ("local")
        loader = context.config_loader
        self._env = getattr(loader, "env", None) or getattr(loader, "default_run_env", None) or context.env
        try:
            self._conf = dict(context.config_loader["mlflow"])
        except KeyError:
            self._conf = {}

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        self.last_run = None
        self._identity = {"kedro_session_id": _session_id(run_params), "mlflow_run_id": None}
        try:
            self._start_parent_run(run_params, pipeline, catalog)
        except BaseException:
            # Kedro calls no on_pipeline_error for a failure in before_pipeline_run: the lock taken
            # just before (RunLockHooks, tryfirst) would be left behind
            if self._lock:
                self._lock.on_interrupt()
            raise
        finally:  # the training nodes stamp it into every model record, tracked or not
            catalog["run_identity"] = dict(self._identity)
        if self._tracker:
            self._close_dead_run(pipeline, catalog)

    def _start_parent_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        if not self._conf.get("enabled", True):
            return
        uri = resolve_tracking_uri(self._conf.get("tracking_uri"), self._project_path)
        artifacts = self._conf.get("artifact_location") or (self._project_path / "mlartifacts").as_uri()
        self._tracker = RunTracker(uri, self._conf.get("experiment_name", "synergy_kedro"), artifacts,
                                   register_models=bool(self._conf.get("register_models", False)))
        name = run_params.get("pipeline_name") or run_params.get("pipeline_names") or "__default__"
        name = ",".join(name) if isinstance(name, list) else str(name)
        env = run_params.get("env") or self._env
        tags = {"pipeline": name, "git_sha": git_sha(self._project_path), "kedro_env": str(env),
                "kedro_session_id": _session_id(run_params), "runner": str(run_params.get("runner"))}
        params = catalog.load("parameters") if catalog.exists("parameters") else {}
        self._params = params
        run_id = self._tracker.start(name, tags, params)
        self._identity["mlflow_run_id"] = run_id
        self.last_run = (uri, run_id)
        self._running = (pipeline, catalog)
        log.info("MLflow parent run %s in %s", run_id, uri)
        if self._lock:
            try:  # so that a run taking over this one's lock after a kill -9 can close this parent run
                self._lock.record(mlflow_run_id=run_id, tracking_uri=uri, kedro_session_id=_session_id(run_params))
            except OSError as exc:
                log.warning("Could not write the MLflow run id into the run lock (%s): if this run is killed, "
                            "the next one cannot close its MLflow run.", exc)

    def _close_dead_run(self, pipeline, catalog) -> None:
        """Mark the parent run of a dead run (whose lock this run took over) KILLED, its finished models nested.

        The dead run is found by the id its lock recorded; its finished models by the ids they carry
        (``model["run"]``). Only a run still RUNNING in this run's tracking store is touched. Any
        failure here is a warning: it must not stop the new run.
        """
        dead = (self._lock.taken_over if self._lock else None) or {}
        dead_id = dead.get("mlflow_run_id")
        if not dead_id:
            return
        who = f"PID {dead.get('pid', '?')}, started {dead.get('started', '?')}"
        if dead.get("tracking_uri") != self._tracker.tracking_uri:
            log.warning("The run that died (%s) logged to MLflow run %s in %s, not in this run's store; that run is "
                        "left as it is (mark it KILLED there).", who, dead_id, dead.get("tracking_uri"))
            return
        try:
            with quiet_store_logs():
                status = self._tracker.status(dead_id)
                if status != "RUNNING":
                    log.info("MLflow run %s of the run that died (%s) is already %s; left as it is.",
                             dead_id, who, status)
                    return
                orphan = self._tracker.for_parent(dead_id)
                identity = {"kedro_session_id": dead.get("kedro_session_id"), "mlflow_run_id": dead_id}
                models = self._log_models(orphan, identity, pipeline, catalog)
                orphan.end("KILLED")
        except Exception as exc:  # the new run matters more than closing the old one
            log.warning("Could not close MLflow run %s of the run that died (%s): %s", dead_id, who, one_line(exc))
            log.debug("Closing MLflow run %s failed", dead_id, exc_info=True)
            return
        log.warning("Closed MLflow run %s of the run that died (%s): marked KILLED with its %d finished model(s)",
                    dead_id, who, models)

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any], run_result: dict[str, Any], pipeline, catalog) -> None:
        if not self._tracker:
            return
        try:
            with quiet_store_logs():
                self._log_outputs(self._tracker, self._identity, pipeline, catalog)
                self._tracker.end("FINISHED")
        except Exception as exc:  # the pipeline ran; the store failed at the end
            self._end_quietly("FAILED", "finished", exc)
            if self._lock:  # Kedro calls the lock's after_pipeline_run only if this one returns
                self._lock.on_interrupt()
            if store_problem(exc) or isinstance(exc, MlflowException):
                raise TrackingUnavailableError(
                    "The run finished, but logging it to MLflow failed: " + store_unavailable(self._tracker_uri(), exc)
                ) from exc
            raise
        finally:
            self._tracker = None

    @hook_impl
    def on_pipeline_error(self, error: Exception, run_params: dict[str, Any], pipeline, catalog) -> None:
        self._close("FAILED", "failed", pipeline, catalog)

    def on_interrupt(self) -> None:
        """Ctrl-C or SIGTERM (Kedro calls no hook for them): log the models that finished, end the parent KILLED."""
        if self._running:
            self._close("KILLED", "interrupted", *self._running)

    def _close(self, status: str, what: str, pipeline, catalog) -> None:
        """Log the finished models and end the parent run ``status``; never raises, one line per failure."""
        if not self._tracker:
            return
        outer = sys.exc_info()[1]  # the run's error (or interrupt) being handled: no cause of a store failure here
        try:
            with quiet_store_logs():
                self._log_outputs(self._tracker, self._identity, pipeline, catalog)
        except Exception as exc:
            log.warning("Could not log the finished models of the %s run to MLflow (they are kept in data/ and "
                        "reused by the next run): %s", what, one_line(exc, outer))
            log.debug("Logging the %s run's models failed", what, exc_info=True)
        self._end_quietly(status, what, outer)
        self._tracker = None

    def _end_quietly(self, status: str, what: str, outer: BaseException | None = None) -> None:
        try:
            with quiet_store_logs():
                self._tracker.end(status)
        except Exception as exc:  # noqa: BLE001 - see _close
            log.warning("Could not mark MLflow run %s of the %s run %s (it stays RUNNING there): %s",
                        self._tracker.parent_id, what, status, one_line(exc, outer))
            if self._lock and self._tracker.parent_id:  # its record names the run: the next run closes it
                self._lock.leave_for_next_run(self._tracker.parent_id)

    def _tracker_uri(self) -> str:
        return self.last_run[0] if self.last_run else ""

    def _log_outputs(self, tracker: RunTracker, identity: dict[str, str | None], pipeline, catalog) -> None:
        """The run's finished models as nested runs under ``tracker``'s parent, then its tables and reports."""
        self._log_models(tracker, identity, pipeline, catalog)
        names = pipeline.datasets()
        for table in ("global_vs_local_table", "svd_all_data_table", "svd_size_controlled_table", "ungauged_regions_table"):
            if table in names and catalog.exists(table):
                tracker.log_pooled(table, catalog.load(table))
        reports = [n for n in sorted(names) if _layer(catalog, n) == "reporting" and catalog.exists(n)]
        for name in reports:
            tracker.log_report_file(_filepath(catalog, name))

    def _log_models(self, tracker: RunTracker, identity: dict[str, str | None], pipeline, catalog) -> int:
        """Log each model the run ``identity`` wrote (and not yet logged) under ``tracker``'s parent; the count."""
        skipped, reused, trained = {}, [], 0
        data = None  # built at the first model to log
        for ns in model_namespaces(pipeline.datasets()):
            datasets = [f"{ns}.{d}" for d in MODEL_DATASETS]
            required = [d for d in datasets if not d.endswith(".site_metrics")]  # an interrupted run may lack them
            if ns in tracker.logged_models or not all(catalog.exists(d) for d in required):
                continue
            try:  # a run stopped by a full disk or a kill may have written a model's files only in part
                model = catalog.load(f"{ns}.model")
                if not _written_by(model, identity):
                    continue  # another run's model (e.g. this run failed or stopped before training it)
                rest = [catalog.load(d) if catalog.exists(d) else pd.DataFrame() for d in datasets[1:]]
            except DatasetError as exc:
                log.warning("Model %s is not logged to MLflow: its files could not be read (%s); the next run "
                            "retrains or reuses it.", ns, one_line(exc))
                continue
            if model.get("state_dict") is None:
                skipped[ns] = model.get("skipped")
            else:
                data = data or self._training_data(catalog)
                tracker.log_model(ns, model, *rest, data)
                trained += 1
                if model.get("reused"):
                    reused.append(ns)
        if reused:
            log.info("%d of %d models were reused from an earlier run with the same data and settings (not "
                     "retrained): %s", len(reused), trained, ", ".join(reused))
        if skipped:
            tracker.log_table("skipped_models", pd.DataFrame(skipped.items(), columns=["model", "reason"]))
        return trained

    def _training_data(self, catalog) -> TrainingData:
        """What every model of the run shares: its data's source and files, period and normalisation."""
        files = {name: str(Path(_filepath(catalog, name)).resolve()) if catalog.exists(name) else None
                 for name in ("canonical_dataset", "model_inputs")}
        stats = catalog.load("normalisation_stats") if catalog.exists("normalisation_stats") else {}
        return TrainingData(source=str((self._params.get("ingestion") or {}).get("source", "unknown")),
                            canonical=files["canonical_dataset"], period=self._params["periods"]["train"],
                            normalisation_stats=stats, model_inputs=files["model_inputs"])


def _written_by(model: dict, identity: dict[str, str | None]) -> bool:
    """Whether the run ``identity`` wrote the model record: it carries that run's ids (see ``run_identity``).

    Not the file's modification time: a file copied, restored or touched since would pass.
    """
    return model.get("run") == identity


def _session_id(run_params: dict[str, Any]) -> str:
    """The kedro session's id: Kedro 1.x passes it as ``run_id`` (the project pins kedro>=1)."""
    return str(run_params["run_id"])


def _filepath(catalog, name: str) -> str | None:
    """The file behind a (materialised) dataset, as the dataset itself resolved it."""
    # Kedro has no public API for a dataset's path; its own description (_describe) is what repr() shows
    path = (catalog.get(name)._describe() or {}).get("filepath")
    return None if path is None else str(path)


def _layer(catalog, name: str) -> str | None:
    try:
        metadata = catalog.get(name).metadata or {}
    except Exception:  # noqa: BLE001 - a memory dataset has no metadata
        return None
    return (metadata.get("kedro-viz") or {}).get("layer")


class RunSummaryHooks:
    """Prints :func:`~synergy_kedro.evaluation.run_summary.run_summary` when a pipeline has written a paper report."""

    REPORTS = ("global_vs_local_paper_report", "similar_vs_dissimilar_paper_report", "ungauged_regions_report")

    def __init__(self, tracking: MlflowTrackingHooks) -> None:
        self._tracking = tracking

    @hook_impl(trylast=True)  # after the tracking hooks closed the run
    def after_pipeline_run(self, run_params: dict[str, Any], run_result: dict[str, Any], pipeline, catalog) -> None:
        names = [n for n in self.REPORTS if n in pipeline.datasets() and catalog.exists(n)]
        if not names:
            return
        reports = {n: catalog.load(n) for n in names}
        folders = [_relative(Path(_filepath(catalog, n) or ".").parent) for n in names]
        uri, run_id = self._tracking.last_run or (None, None)
        print(run_summary(reports, folders, uri, run_id), flush=True)  # the console block is the point


def _relative(path: Path) -> Path:
    """``path`` relative to the working directory (the project) where it lies below it, as a user types it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
