"""``DaskRunner``: a Kedro 1.x runner that executes a pipeline on a Dask distributed cluster.

How it works
------------
* **Planning (driver, before anything starts).** The pipeline is cut into *units of work*: one per
  node (``unit: node``, the default) or one per top-level namespace (``unit: namespace`` — in this
  project one model's train → predict → evaluate). Every dataset of the pipeline is classified:

  - *persisted* datasets (CSV, netCDF, model files …) are pickled and shipped with the units that
    read or write them; the worker loads the inputs itself and saves the outputs itself, so data
    never goes through the driver. Their paths must be reachable from every worker (on a real
    cluster: a shared filesystem or object store).
  - *memory* datasets that are pipeline inputs (``params:*``, ``parameters``, data put into the
    catalog by hand) are loaded on the driver and scattered to the cluster once.
  - *memory* datasets produced by one unit and read by another (non-persisted intermediates) are,
    with ``memory_datasets: transfer`` (default), returned by the producing task and handed to the
    consumer as Dask futures, i.e. sent worker-to-worker through Dask's memory (they must be
    picklable; they are checked on the worker and a clear error names the dataset and its node).
    A warning lists them before the run starts. With ``memory_datasets: error`` they are refused
    before anything runs, naming each dataset, its producer and consumers — add a catalog entry.
  - datasets marked ``_SINGLE_PROCESS`` (e.g. ``CachedDataset``, Spark) and datasets that cannot be
    pickled are refused before anything runs, with their names (same rule as ``ParallelRunner``);
    so are nodes whose function cannot be pickled.

* **Execution.** All units are submitted at once, in topological order, with their parents'
  futures as arguments, so the Dask scheduler starts each unit as soon as its dependencies are
  done and runs independent units (e.g. every model's training) in parallel on the workers. On a
  worker a unit builds a small ``DataCatalog`` of its datasets and runs its nodes, in order, with
  Kedro's own :class:`~kedro.runner.Task` (so ``is_async`` and generator nodes behave as under the
  ``SequentialRunner``). ``torch.set_num_threads(torch_threads)`` (default 1) is applied on the
  worker before each node to avoid oversubscribing cores. The driver follows the futures as they
  complete, logs each node with the worker it ran on, and records a per-unit report in
  :attr:`DaskRunner.report`.

* **Errors.** A failing node raises :class:`NodeFailedError` naming the node and worker (the remote
  traceback is kept in ``remote_traceback`` and logged). Pending units are cancelled and Kedro's
  usual "resume with ``--from-nodes``" hint is logged.

* **Hooks.** Pipeline hooks (``before_pipeline_run``, ``after_pipeline_run``, ``on_pipeline_error``)
  run on the driver as with any runner — this project's MLflow tracking works unchanged. Node and
  dataset hooks (``before_node_run``, ``after_dataset_saved`` …) are **not** run on workers (as
  with Kedro's ``ParallelRunner``); a warning names the plugins that implement them.

Settings
--------
Resolved in this order (first wins): keyword arguments (``kedro run --runner-params k=v,…``), the
environment variable ``DASK_SCHEDULER_ADDRESS`` (address only), ``conf/<KEDRO_ENV or local>/dask.yml``,
``conf/base/dask.yml`` (``conf`` relative to the working directory — the project root under
``kedro run`` — or ``conf_source``), then the defaults in :data:`DEFAULTS`. The cluster is

1. the scheduler at ``scheduler_address`` if one is given (an existing cluster; not closed at
   the end), else
2. ``cluster: {class: dask_jobqueue.SLURMCluster, kwargs: {...}, scale: {...} | adapt: {...}}``
   (any class with the ``distributed`` cluster interface; closed at the end), else
3. a ``distributed.LocalCluster(n_workers, threads_per_worker, processes=True)`` (closed at the end).

See ``docs/cluster.md`` for examples.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import socket
import sys
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cloudpickle
import yaml
from kedro.framework.hooks.markers import HOOK_NAMESPACE
from kedro.framework.hooks.specs import DataCatalogSpecs, DatasetSpecs, KedroContextSpecs, NodeSpecs, PipelineSpecs
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import AbstractRunner, Task
from kedro.utils import load_obj
from pluggy import PluginManager

if TYPE_CHECKING:
    from distributed import Client
    from kedro.io import AbstractDataset
    from kedro.pipeline import Pipeline
    from kedro.pipeline.node import Node

ADDRESS_ENV = "DASK_SCHEDULER_ADDRESS"
CONF_FILE = "dask.yml"

#: Every setting the runner understands, with its default.
DEFAULTS: dict[str, Any] = {
    "scheduler_address": None,      # tcp://host:8786 of an existing scheduler
    "n_workers": 2,                 # LocalCluster only
    "threads_per_worker": 1,        # LocalCluster only
    "processes": True,              # LocalCluster only
    "dashboard_address": ":8787",   # LocalCluster only; null: no dashboard
    "cluster": None,                # {class, kwargs, scale | adapt}: e.g. dask_jobqueue.SLURMCluster
    "connect_timeout": "30s",       # to an existing scheduler
    "unit": "node",                 # node | namespace
    "memory_datasets": "transfer",  # transfer | error
    "torch_threads": 1,             # torch.set_num_threads on workers; null: leave alone
    "resources": {},                # {node-name glob: {resource: amount}}, e.g. {"*.train": {GPU: 1}}
    "priority": {},                 # {node-name glob: int}: among ready units, higher starts first
    "retries": 0,                   # Dask retries per unit (e.g. for pre-empted jobqueue workers)
    # Environment of the LocalCluster's worker processes; null unsets one of Dask's defaults. Dask's
    # MALLOC_TRIM_THRESHOLD_=65536 turns off glibc's adaptive mmap threshold, and torch's CPU
    # training then runs ~1.7x slower (benchmarks/dask_worker_env.py).
    "worker_env": {"MALLOC_TRIM_THRESHOLD_": None},
}
UNITS = ("node", "namespace")
MEMORY_MODES = ("transfer", "error")


class DaskRunnerError(Exception):
    """The pipeline or catalog cannot run on a Dask cluster as configured (raised before it starts)."""


class NodeFailedError(RuntimeError):
    """A node raised on a Dask worker; the message names the node, the worker and the original error."""

    def __init__(self, node_name: str, worker: str, error_type: str, error: str, remote_traceback: str = "") -> None:
        super().__init__(f"Node '{node_name}' failed on Dask worker {worker}: {error_type}: {error}")
        self.node_name = node_name
        self.worker = worker
        self.error_type = error_type
        self.error = error
        self.remote_traceback = remote_traceback

    def __reduce__(self):  # keep every field across pickling (worker → scheduler → driver)
        return type(self), (self.node_name, self.worker, self.error_type, self.error, self.remote_traceback)


class TransferError(RuntimeError):
    """A non-persisted (memory) dataset that must cross processes could not be pickled."""


# --------------------------------------------------------------------------------------------- config


def load_dask_conf(conf_source: str | Path | None = None, env: str | None = None) -> dict[str, Any]:
    """``<conf>/base/dask.yml`` updated by ``<conf>/<env>/dask.yml`` (``env``: ``$KEDRO_ENV`` or ``local``)."""
    root = Path(conf_source) if conf_source is not None else Path.cwd() / "conf"
    env = env or os.environ.get("KEDRO_ENV") or "local"
    merged: dict[str, Any] = {}
    for folder in dict.fromkeys(("base", env)):
        path = root / folder / CONF_FILE
        if path.is_file():
            content = yaml.safe_load(path.read_text()) or {}
            if not isinstance(content, dict):
                raise DaskRunnerError(f"{path} must hold a mapping of DaskRunner settings, not {type(content).__name__}.")
            merged.update(content)
            merged.setdefault("_sources", []).append(str(path))
            if "scheduler_address" in content:
                merged["_address_file"] = str(path)
    return merged


def resolve_settings(overrides: Mapping[str, Any], conf: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults ← conf ← ``DASK_SCHEDULER_ADDRESS`` ← keyword arguments (None means "not given")."""
    sources, address_file = conf.get("_sources", []), conf.get("_address_file")
    conf = {k: v for k, v in conf.items() if not k.startswith("_")}
    unknown = sorted(set(conf) - set(DEFAULTS))
    if unknown:
        raise DaskRunnerError(f"Unknown DaskRunner setting(s) {unknown} in {sources}; valid: {sorted(DEFAULTS)}.")
    settings = {**DEFAULTS, **conf}
    settings["_address_source"] = f"scheduler_address in {address_file}" if conf.get("scheduler_address") else None
    if os.environ.get(ADDRESS_ENV):
        settings["scheduler_address"] = os.environ[ADDRESS_ENV]
        settings["_address_source"] = f"${ADDRESS_ENV}"
    for key, value in overrides.items():
        if value is not None:
            settings[key] = value
            if key == "scheduler_address":
                settings["_address_source"] = "the runner's scheduler_address argument"
    if settings["unit"] not in UNITS:
        raise DaskRunnerError(f"DaskRunner unit must be one of {UNITS}, not {settings['unit']!r}.")
    if settings["memory_datasets"] not in MEMORY_MODES:
        raise DaskRunnerError(f"DaskRunner memory_datasets must be one of {MEMORY_MODES}, not {settings['memory_datasets']!r}.")
    if not isinstance(settings["worker_env"], Mapping):
        raise DaskRunnerError(f"DaskRunner worker_env must map variable names to values (null: unset), not {settings['worker_env']!r}.")
    priority = settings["priority"]
    if not isinstance(priority, Mapping) or not all(isinstance(v, int) for v in priority.values()):
        raise DaskRunnerError(f"DaskRunner priority must map node-name globs to integers, e.g. {{'global.train': 1}}, not {priority!r}.")
    cluster = settings["cluster"]
    if cluster is not None and not (isinstance(cluster, Mapping) and "class" in cluster):
        raise DaskRunnerError(f"DaskRunner cluster must be a mapping with a 'class' key (e.g. dask_jobqueue.SLURMCluster), not {cluster!r}.")
    return settings


# ------------------------------------------------------------------------------------------- planning


@dataclass
class _Unit:
    name: str
    nodes: list[Node]
    parents: list[str]
    datasets: dict[str, AbstractDataset] = field(default_factory=dict)  # persisted, shipped pickled
    memory: dict[str, str | None] = field(default_factory=dict)  # unit-local memory datasets: name → copy_mode
    memory_inputs: list[str] = field(default_factory=list)  # memory datasets coming from outside the unit
    exports: list[str] = field(default_factory=list)  # memory outputs needed outside the unit
    resources: dict[str, float] = field(default_factory=dict)
    priority: int = 0


@dataclass
class _Plan:
    units: dict[str, _Unit]  # topological order
    scattered: list[str]  # memory pipeline inputs to load on the driver and scatter
    transferred: dict[str, tuple[str, list[str]]]  # memory datasets crossing units: producer, consumers
    validators: dict[str, Any]


def _is_ephemeral(dataset: Any) -> bool:
    return bool(getattr(dataset, "_EPHEMERAL", False))


def _group(pipeline: Pipeline, unit: str, log: logging.Logger) -> list[Any]:
    groups = pipeline.group_nodes_by("namespace" if unit == "namespace" else None)
    if unit == "namespace":
        try:
            tuple(TopologicalSorter({g.name: g.dependencies for g in groups}).static_order())
        except CycleError as exc:
            log.warning("Grouping nodes by namespace makes a dependency cycle (%s); running node by node instead.", exc.args[1])
            groups = pipeline.group_nodes_by(None)
    return groups


def _matches(nodes: list[Node], patterns: Mapping[str, Any] | None) -> Iterator[Any]:
    """The value of every (node-name glob → value) pattern that names one of ``nodes``, once per match."""
    for node in nodes:
        for pattern, value in (patterns or {}).items():
            if fnmatch.fnmatchcase(node.name, pattern):
                yield value


def _resources(nodes: list[Node], patterns: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for wanted in _matches(nodes, patterns):
        for resource, amount in wanted.items():
            out[resource] = max(out.get(resource, 0), amount)
    return out


def _priority(nodes: list[Node], patterns: Mapping[str, int]) -> int:
    """Longest work first: the slowest model (e.g. the global one) must not start last and set the wall time."""
    return max((int(p) for p in _matches(nodes, patterns)), default=0)


def make_plan(pipeline: Pipeline, catalog: Any, settings: Mapping[str, Any], log: logging.Logger) -> _Plan:
    """Units, what each ships, and every reason the run cannot happen on a cluster (raised here, up front)."""
    names = pipeline.datasets()
    objects = {name: catalog.get(name, fallback_to_runtime_pattern=True) for name in names}
    ephemeral = {name for name, ds in objects.items() if _is_ephemeral(ds)}

    problems = []
    single = sorted(name for name, ds in objects.items() if getattr(ds, "_SINGLE_PROCESS", False))
    if single:
        problems.append(f"single-process datasets (they cannot be shared across processes): {single}")
    unpicklable = {}
    for name in sorted(set(names) - ephemeral - set(single)):
        try:
            cloudpickle.dumps(objects[name])
        except Exception as exc:  # noqa: BLE001 - any failure means it cannot be shipped
            unpicklable[name] = f"{type(exc).__name__}: {exc}"
    if unpicklable:
        problems.append("datasets that cannot be pickled to send to workers: "
                        + "; ".join(f"{n} ({why})" for n, why in unpicklable.items()))
    bad_nodes = {}
    for node in pipeline.nodes:
        try:
            cloudpickle.dumps(node)
        except Exception as exc:  # noqa: BLE001 - any failure means it cannot be shipped
            bad_nodes[node.name] = f"{type(exc).__name__}: {exc}"
    if bad_nodes:
        problems.append("nodes that cannot be pickled to send to workers: "
                        + "; ".join(f"{n} ({why})" for n, why in bad_nodes.items()))

    groups = _group(pipeline, settings["unit"], log)
    by_name = {node.name: node for node in pipeline.nodes}
    unit_of = {n: g.name for g in groups for n in g.nodes}
    producer = {out: node.name for node in pipeline.nodes for out in node.outputs}
    consumers: dict[str, set[str]] = defaultdict(set)
    for node in pipeline.nodes:
        for name in node.inputs:
            consumers[name].add(node.name)

    order = list(TopologicalSorter({g.name: g.dependencies for g in groups}).static_order())
    group_by_name = {g.name: g for g in groups}
    outputs = pipeline.outputs()
    units: dict[str, _Unit] = {}
    transferred: dict[str, tuple[str, list[str]]] = {}
    for uname in order:
        g = group_by_name[uname]
        nodes = pipeline.only_nodes(*g.nodes).nodes if len(g.nodes) > 1 else [by_name[g.nodes[0]]]
        used = {d for node in nodes for d in (*node.inputs, *node.outputs)}
        made = {d for node in nodes for d in node.outputs}
        unit = _Unit(uname, nodes, list(g.dependencies), resources=_resources(nodes, settings["resources"]),
                     priority=_priority(nodes, settings["priority"]))
        for name in sorted(used):
            if name not in ephemeral:
                unit.datasets[name] = objects[name]
                continue
            unit.memory[name] = getattr(objects[name], "_copy_mode", None)
            if name not in made:
                unit.memory_inputs.append(name)
            elif name in outputs or any(unit_of[c] != uname for c in consumers[name]):
                unit.exports.append(name)
                outside = sorted(c for c in consumers[name] if unit_of[c] != uname)
                if outside:
                    transferred[name] = (producer[name], outside)
        units[uname] = unit

    if transferred and settings["memory_datasets"] == "error":
        listing = "\n".join(f"  - {n}: written by node '{p}', read by {c}" for n, (p, c) in sorted(transferred.items()))
        problems.append("non-persisted (memory) datasets passed between units of work, refused by "
                        f"memory_datasets=error:\n{listing}\n  Add a catalog entry to persist each, or set "
                        "memory_datasets: transfer to send them between workers through Dask (they must be picklable)")
    if problems:
        raise DaskRunnerError("This pipeline cannot run on a Dask cluster:\n- " + "\n- ".join(problems))
    if transferred:
        listing = "; ".join(f"{n} ({p} -> {', '.join(c)})" for n, (p, c) in sorted(transferred.items()))
        log.warning("%d dataset(s) are not persisted (MemoryDataset) and will be sent between Dask workers in memory "
                    "(must be picklable; lost if a worker dies): %s", len(transferred), listing)

    scattered = sorted(pipeline.inputs() & ephemeral)
    specs = getattr(catalog, "_validator_specs", {}) or {}
    validators = {n: s for n, s in specs.items() if n in names}
    return _Plan(units, scattered, transferred, validators)


# -------------------------------------------------------------------------------------- worker side


def _silent_hooks() -> PluginManager:
    """A hook manager with Kedro's hook specifications and no plugin: node hooks stay on the driver."""
    manager = PluginManager(HOOK_NAMESPACE)
    for specs in (NodeSpecs, PipelineSpecs, DataCatalogSpecs, DatasetSpecs, KedroContextSpecs):
        manager.add_hookspecs(specs)
    return manager


def _limit_torch_threads(n: int | None) -> None:
    if n and "torch" in sys.modules:
        torch = sys.modules["torch"]
        if torch.get_num_threads() != n:
            torch.set_num_threads(int(n))


def _where() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return f"{socket.gethostname()}:{os.getpid()}"


def execute_unit(  # one task on a worker: its nodes, data and settings
    unit: str,
    nodes: list[Node],
    datasets: dict[str, AbstractDataset],
    memory: dict[str, str | None],
    memory_inputs: dict[str, Any],
    exports: list[str],
    validators: dict[str, Any],
    run_id: str | None,
    is_async: bool,
    torch_threads: int | None,
    upstream: list[Any],  # the parents' reports: only there so Dask waits for them
) -> dict[str, Any]:
    """Run ``nodes`` in order on this worker; return a report and the memory outputs needed elsewhere."""
    worker = _where()
    start = time.time()
    in_memory = {n: MemoryDataset(data=memory_inputs[n], copy_mode=mode) if n in memory_inputs else MemoryDataset(copy_mode=mode)
                 for n, mode in memory.items()}
    catalog = DataCatalog(datasets={**datasets, **in_memory})
    if validators:
        # Kedro 1.7 has no public way to give a catalog the parameter validators of another (its
        # runner copies them the same way); without it typed parameters would go unchecked on workers.
        catalog._validator_specs.update(validators)
    seconds = {}
    for node in nodes:
        _limit_torch_threads(torch_threads)
        t0 = time.perf_counter()
        try:
            Task(node=node, catalog=catalog, is_async=is_async, hook_manager=_silent_hooks(), run_id=run_id).execute()
        except Exception as exc:
            raise NodeFailedError(node.name, worker, type(exc).__name__, str(exc),
                                  "".join(traceback.format_exception(exc))) from exc
        seconds[node.name] = round(time.perf_counter() - t0, 3)
    outputs = {}
    for name in exports:
        data = catalog.load(name)
        try:
            cloudpickle.dumps(data, protocol=5, buffer_callback=lambda _buffer: None)  # large buffers: not copied
        except Exception as exc:
            made_by = next((n.name for n in nodes if name in n.outputs), unit)
            raise TransferError(
                f"Dataset '{name}' (output of node '{made_by}') is not persisted, so the Dask runner must send it "
                f"between worker processes, but it cannot be pickled ({type(exc).__name__}: {exc}). Add a catalog "
                f"entry for '{name}' to persist it, or return a picklable object.") from exc
        outputs[name] = data
    report = {"unit": unit, "nodes": [n.name for n in nodes], "worker": worker, "pid": os.getpid(),
              "start": start, "end": time.time(), "seconds": seconds}
    return {"report": report, "outputs": outputs}


def _pick_report(result: dict[str, Any]) -> dict[str, Any]:
    return result["report"]


def _pick_output(result: dict[str, Any], name: str) -> Any:
    return result["outputs"][name]


# ------------------------------------------------------------------------------------------- runner


def start_local_cluster(s: Mapping[str, Any]) -> Any:
    """A LocalCluster whose workers get ``worker_env`` on top of Dask's pre-spawn environment.

    The nanny reads ``distributed.nanny.pre-spawn-environ`` when it starts and also writes it into
    this process's ``os.environ`` (so children inherit it); a variable to unset is therefore also
    removed from ``os.environ`` while the workers spawn, or an earlier cluster's value would leak in.
    """
    import dask
    from distributed import LocalCluster

    wanted = {k: (None if v is None else str(v)) for k, v in s["worker_env"].items()}
    saved = {k: os.environ.get(k) for k in wanted}
    environ = {**dask.config.get("distributed.nanny.pre-spawn-environ"), **wanted}
    try:
        _set_environ(wanted)
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            return LocalCluster(n_workers=s["n_workers"], threads_per_worker=s["threads_per_worker"],
                                processes=s["processes"], dashboard_address=s["dashboard_address"])
    finally:
        _set_environ(saved)


def _set_environ(values: Mapping[str, str | None]) -> None:
    """Set each variable in ``os.environ``; None removes it."""
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


class DaskRunner(AbstractRunner):
    """Runs each node (or each namespace) of a pipeline as a task on a Dask distributed cluster.

    ``kedro run --runner synergy_kedro.runners.DaskRunner`` builds it with no arguments (plus
    ``--runner-params``); settings come from ``DASK_SCHEDULER_ADDRESS`` and ``conf/*/dask.yml``
    (see the module docstring and ``docs/cluster.md``).

    Args:
        scheduler_address: an existing scheduler, e.g. ``tcp://10.0.0.5:8786``.
        n_workers, threads_per_worker, processes, dashboard_address: the LocalCluster started
            when there is no address and no ``cluster``.
        cluster: ``{"class": "dask_jobqueue.SLURMCluster", "kwargs": {...}, "scale": {"jobs": 4}}``
            (or ``"adapt": {"minimum_jobs": 0, "maximum_jobs": 8}``).
        unit: ``"node"`` (each node a task) or ``"namespace"`` (each top-level namespace a task).
        memory_datasets: ``"transfer"`` non-persisted intermediates through Dask, or ``"error"``.
        torch_threads: ``torch.set_num_threads`` on the workers (None: leave alone).
        resources: node-name glob → Dask worker resources, e.g. ``{"*.train": {"GPU": 1}}``.
        priority: node-name glob → Dask priority; among units ready to run, higher starts first.
        worker_env: environment of the LocalCluster's workers (None unsets a Dask default).
        retries: Dask retries of a failed unit.
        client: an already connected ``distributed.Client`` to use (not closed by the runner).
        conf_source: folder holding ``base/dask.yml``; default ``./conf``.
        is_async: load and save each node's datasets with threads (as Kedro's runners do).
    """

    def __init__(
        self,
        scheduler_address: str | None = None,
        n_workers: int | None = None,
        threads_per_worker: int | None = None,
        processes: bool | None = None,
        dashboard_address: str | None = None,
        cluster: Mapping[str, Any] | None = None,
        connect_timeout: str | None = None,
        unit: str | None = None,
        memory_datasets: str | None = None,
        torch_threads: int | None = None,
        resources: Mapping[str, Mapping[str, float]] | None = None,
        priority: Mapping[str, int] | None = None,
        worker_env: Mapping[str, Any] | None = None,
        retries: int | None = None,
        client: Client | None = None,
        conf_source: str | Path | None = None,
        is_async: bool = False,
    ) -> None:
        super().__init__(is_async=is_async)
        given = {"scheduler_address": scheduler_address, "n_workers": n_workers, "threads_per_worker": threads_per_worker,
                 "processes": processes, "dashboard_address": dashboard_address, "cluster": cluster,
                 "connect_timeout": connect_timeout, "unit": unit, "memory_datasets": memory_datasets,
                 "torch_threads": torch_threads, "resources": resources, "priority": priority, "retries": retries,
                 "worker_env": worker_env}
        self.settings = resolve_settings(given, load_dask_conf(conf_source))
        self._client = client
        #: One dict per unit of the last run: unit, nodes, worker, pid, start, end (epoch s), seconds per node.
        self.report: list[dict[str, Any]] = []

    def _get_executor(self, max_workers: int) -> None:  # the Dask client is the executor
        return None

    # ---------------------------------------------------------------------------------- cluster

    @contextmanager
    def _connect(self) -> Iterator[Client]:
        from distributed import Client

        if self._client is not None:
            yield self._client
            return
        s = self.settings
        cluster = None
        if s["scheduler_address"]:
            self._logger.info("Connecting to the Dask scheduler at %s (from %s)", s["scheduler_address"], s["_address_source"])
            try:
                client = Client(s["scheduler_address"], timeout=s["connect_timeout"])
            except (OSError, TimeoutError) as exc:
                raise DaskRunnerError(f"Cannot reach the Dask scheduler at {s['scheduler_address']} "
                                      f"(from {s['_address_source']}): {exc}") from exc
        else:
            if s["cluster"]:
                spec = s["cluster"]
                self._logger.info("Starting a %s", spec["class"])
                cluster = load_obj(spec["class"])(**(spec.get("kwargs") or {}))
                if spec.get("adapt") is not None:
                    cluster.adapt(**spec["adapt"])
                else:
                    cluster.scale(**(spec.get("scale") or {"n": s["n_workers"]}))
            else:
                self._logger.info("Starting a Dask LocalCluster: %d worker process(es) x %d thread(s)",
                                  s["n_workers"], s["threads_per_worker"])
                cluster = start_local_cluster(s)
            client = Client(cluster)
        try:
            if client.dashboard_link:
                self._logger.info("Dask dashboard: %s", client.dashboard_link)
            yield client
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    # -------------------------------------------------------------------------------------- run

    def _warn_about_node_hooks(self, hook_manager: PluginManager | None) -> None:
        if hook_manager is None or not hasattr(hook_manager, "get_plugins") or not hook_manager.get_plugins():
            return
        names = ("before_node_run", "after_node_run", "on_node_error", "before_dataset_loaded",
                 "after_dataset_loaded", "before_dataset_saved", "after_dataset_saved")
        plugins: dict[str, list[str]] = defaultdict(list)
        for name in names:
            caller = getattr(hook_manager.hook, name, None)
            for impl in (caller.get_hookimpls() if caller is not None else []):
                plugins[impl.plugin_name].append(name)
        if plugins:
            self._logger.warning("DaskRunner does not run node or dataset hooks on workers; not run: %s",
                                 "; ".join(f"{p} ({', '.join(h)})" for p, h in sorted(plugins.items())))

    def _run(
        self,
        pipeline: Pipeline,
        catalog: Any,
        hook_manager: PluginManager | None = None,
        run_id: str | None = None,
    ) -> None:
        self.report = []
        if not pipeline.nodes:  # e.g. --only-missing-outputs with everything there: no cluster needed
            return
        plan = make_plan(pipeline, catalog, self.settings, self._logger)
        self._warn_about_node_hooks(hook_manager)
        with self._connect() as client:
            self._execute(plan, client, pipeline, catalog, run_id)

    def _execute(self, plan: _Plan, client: Client, pipeline: Pipeline, catalog: Any, run_id: str | None) -> None:
        from distributed import as_completed

        s = self.settings
        token = uuid.uuid4().hex[:8]
        memory: dict[str, Any] = {}
        for name in plan.scattered:
            try:
                memory[name] = client.scatter([catalog.load(name)], hash=False)[0]
            except Exception as exc:
                raise TransferError(f"Pipeline input '{name}' is a MemoryDataset; it is sent to the Dask workers and "
                                    f"must be picklable: {type(exc).__name__}: {exc}") from exc
        reports: dict[Any, str] = {}
        by_unit: dict[str, Any] = {}
        n_nodes = sum(len(u.nodes) for u in plan.units.values())
        self._logger.info("DaskRunner: %d node(s) in %d unit(s) of work (unit=%s)", n_nodes, len(plan.units), s["unit"])
        for unit in plan.units.values():
            key = f"{unit.name}-{token}"
            result = client.submit(
                execute_unit, unit.name, unit.nodes, unit.datasets, unit.memory,
                {n: memory[n] for n in unit.memory_inputs}, unit.exports, plan.validators, run_id, self._is_async,
                s["torch_threads"], [by_unit[p] for p in unit.parents],
                key=f"kedro-{key}", pure=False, resources=unit.resources or None, retries=s["retries"] or None,
                priority=unit.priority)
            for name in unit.exports:
                memory[name] = client.submit(_pick_output, result, name, key=f"output-{name}-{token}", pure=False)
            by_unit[unit.name] = client.submit(_pick_report, result, key=f"report-{key}", pure=False)
            reports[by_unit[unit.name]] = unit.name
            del result  # the scheduler keeps it while its dependents need it
        # Only the pipeline's own memory outputs are fetched back; the rest is freed as soon as it is consumed.
        outputs = pipeline.outputs()
        memory = {n: f for n, f in memory.items() if n in outputs}

        done_nodes: set[Node] = set()
        finished = as_completed(list(reports))
        for future in finished:
            unit = plan.units[reports[future]]
            if future.status != "finished":
                self._fail(future, unit, client, list(reports), pipeline, done_nodes, catalog)
            report = future.result()
            self.report.append(report)
            done_nodes.update(unit.nodes)
            for name in report["nodes"]:
                self._logger.info("Completed node: %s on %s (%.1f s)", name, report["worker"], report["seconds"][name])
            self._logger.info("Completed %d out of %d tasks", len(done_nodes), n_nodes)
        for name, future in memory.items():
            catalog.save(name, future.result())

    def _fail(self, future: Any, unit: _Unit, client: Client, futures: list[Any], pipeline: Pipeline,
              done_nodes: set[Node], catalog: Any) -> None:
        error = future.exception()
        client.cancel([f for f in futures if not f.done()])
        remote = getattr(error, "remote_traceback", "")
        if remote:
            self._logger.error("Remote traceback of %s:\n%s", getattr(error, "node_name", unit.name), remote)
        self._suggest_resume_scenario(pipeline, done_nodes, catalog)
        raise error.with_traceback(future.traceback())
