"""``DaskRunner`` on toy pipelines (shared 2-worker LocalCluster) and on the tiny ``global_vs_local``.

The toy node functions live in the light ``toy_nodes`` module, which the workers import by reference.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pandas as pd
import pytest
import torch
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.io import CachedDataset, DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node, pipeline
from kedro.runner import ParallelRunner, SequentialRunner
from kedro_datasets.json import JSONDataset
from mlflow.tracking import MlflowClient

from synergy_kedro.runners import DaskRunner, DaskRunnerError, NodeFailedError, TransferError
from synergy_kedro.runners.dask_runner import DEFAULTS, load_dask_conf, resolve_settings
from tests.conftest import TINY
from tests.kedro_project import copy_project, inside, tracking_uri
from tests.runners.toy_nodes import explode, first, join, make_handle, plus_one, slow_branch, worker_env_probe

distributed = pytest.importorskip("distributed")

TABLE = "data/08_reporting/global_vs_local/comparison.csv"


def json_catalog(folder: Path, *names: str, **memory) -> DataCatalog:
    datasets = {n: JSONDataset(filepath=str(folder / f"{n}.json")) for n in names}
    return DataCatalog(datasets={**datasets, **{n: MemoryDataset(v) for n, v in memory.items()}})


@pytest.fixture(scope="module")
def address():
    """One 2-process LocalCluster for the toy tests (the runner connects to it by address)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(autouse=True)
def no_ambient_address(monkeypatch):
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS", raising=False)


def runner(address: str | None = None, **kwargs) -> DaskRunner:
    return DaskRunner(scheduler_address=address, dashboard_address=None, conf_source="/nonexistent", **kwargs)


# ------------------------------------------------------------------------------------------ toy runs


def diamond() -> Pipeline:
    return Pipeline([
        node(first, "x", ["a", "first_stamp"], name="first"),
        node(slow_branch, ["a", "params:seconds"], ["left", "left_stamp"], name="left"),
        node(slow_branch, ["a", "params:seconds"], ["right", "right_stamp"], name="right"),
        node(join, ["left", "right"], ["total", "join_stamp"], name="join"),
    ])


def test_dependencies_are_respected_and_independent_nodes_run_concurrently(address, tmp_path):
    names = ("a", "left", "right", "total", "first_stamp", "left_stamp", "right_stamp", "join_stamp")
    catalog = json_catalog(tmp_path, *names, x=1, **{"params:seconds": 1.5})
    dask = runner(address)
    dask.run(diamond(), catalog)

    assert catalog.load("total") == 40
    s = {n: catalog.load(f"{n}_stamp") for n in ("first", "left", "right", "join")}
    assert s["first"]["end"] <= min(s["left"]["start"], s["right"]["start"])
    assert s["join"]["start"] >= max(s["left"]["end"], s["right"]["end"])
    # The two 1.5 s branches overlap in time, in two different worker processes.
    assert max(s["left"]["start"], s["right"]["start"]) < min(s["left"]["end"], s["right"]["end"])
    assert s["left"]["pid"] != s["right"]["pid"] != os.getpid()
    report = {r["unit"]: r for r in dask.report}
    assert set(report) == {"first", "left", "right", "join"}
    assert report["left"]["worker"] != report["right"]["worker"]


def test_a_failing_node_is_named_and_stops_its_dependents(address, tmp_path):
    p = Pipeline([node(plus_one, "x", "a", name="fine"), node(explode, "a", "b", name="explode"),
                  node(plus_one, "b", "c", name="after")])
    catalog = json_catalog(tmp_path, "a", "b", "c", x=1)
    with pytest.raises(NodeFailedError, match=r"Node 'explode' failed on Dask worker tcp://.*: ValueError: boom at 2") as err:
        runner(address).run(p, catalog)
    assert err.value.node_name == "explode"
    assert "raise ValueError" in err.value.remote_traceback
    assert catalog.load("a") == 2
    assert not (tmp_path / "c.json").exists()


MIDDLE = Pipeline([node(plus_one, "x", "middle", name="produce"), node(plus_one, "middle", "out", name="consume")])


def test_a_memory_dataset_between_nodes_is_refused_before_anything_runs(tmp_path):
    catalog = json_catalog(tmp_path, "out", x=1)
    # An unreachable scheduler: the error must come from planning, before any connection.
    with pytest.raises(DaskRunnerError) as err:
        runner("tcp://127.0.0.1:9", memory_datasets="error").run(MIDDLE, catalog)
    message = str(err.value)
    assert "middle: written by node 'produce', read by ['consume']" in message
    assert "Add a catalog entry" in message
    assert not (tmp_path / "out.json").exists()


def test_a_memory_dataset_between_nodes_is_sent_through_dask_with_a_warning(address, tmp_path, caplog):
    p = MIDDLE + Pipeline([node(plus_one, "out", "free_output", name="last")])
    catalog = json_catalog(tmp_path, "out", x=1)
    with caplog.at_level(logging.WARNING, logger="synergy_kedro.runners.dask_runner"):
        result = runner(address).run(p, catalog)
    assert "are not persisted (MemoryDataset) and will be sent between Dask workers" in caplog.text
    assert "middle (produce -> consume)" in caplog.text
    assert catalog.load("out") == 3
    assert result["free_output"].load() == 4  # a memory pipeline output comes back to the driver


def test_an_unpicklable_memory_dataset_is_reported_with_its_node(address, tmp_path):
    p = Pipeline([node(make_handle, "x", "handle", name="open_handle"), node(plus_one, "handle", "out", name="reader")])
    with pytest.raises(TransferError, match="Dataset 'handle' \\(output of node 'open_handle'\\) is not persisted.*cannot be pickled"):
        runner(address).run(p, json_catalog(tmp_path, "out", x=1))


def test_single_process_datasets_are_refused(tmp_path):
    catalog = DataCatalog(datasets={"x": MemoryDataset(1), "a": CachedDataset(JSONDataset(filepath=str(tmp_path / "a.json"))),
                                    "b": JSONDataset(filepath=str(tmp_path / "b.json"))})
    p = Pipeline([node(plus_one, "x", "a", name="one"), node(plus_one, "a", "b", name="two")])
    with pytest.raises(DaskRunnerError, match=r"single-process datasets \(they cannot be shared across processes\): \['a'\]"):
        runner("tcp://127.0.0.1:9").run(p, catalog)


def test_namespace_units_run_a_namespace_as_one_task_keeping_its_memory_datasets_local(address, tmp_path):
    template = Pipeline([node(plus_one, "x", "middle", name="produce"), node(plus_one, "middle", "out", name="consume")])
    p = pipeline(template, namespace="m1", inputs="x") + pipeline(template, namespace="m2", inputs="x")
    catalog = json_catalog(tmp_path, "m1.out", "m2.out", x=1)
    dask = runner(address, unit="namespace", memory_datasets="error")  # m*.middle never leaves its unit
    dask.run(p, catalog)
    assert catalog.load("m1.out") == catalog.load("m2.out") == 3
    assert sorted((r["unit"], tuple(r["nodes"])) for r in dask.report) == [
        ("m1", ("m1.produce", "m1.consume")), ("m2", ("m2.produce", "m2.consume"))]


def test_an_unreachable_scheduler_names_where_its_address_came_from(monkeypatch, tmp_path):
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://127.0.0.1:9")
    dask = DaskRunner(connect_timeout="1s", conf_source="/nonexistent")
    with pytest.raises(DaskRunnerError, match=r"Cannot reach the Dask scheduler at tcp://127.0.0.1:9 \(from \$DASK_SCHEDULER_ADDRESS\)"):
        dask.run(Pipeline([node(plus_one, "x", "a", name="one")]), json_catalog(tmp_path, "a", x=1))


def test_an_empty_pipeline_needs_no_cluster():
    assert runner("tcp://127.0.0.1:9").run(Pipeline([]), DataCatalog()) == {}


def test_a_cluster_class_from_the_conf_is_started_scaled_and_closed(tmp_path):
    dask = runner(cluster={"class": "distributed.LocalCluster", "scale": {"n": 1},
                           "kwargs": {"n_workers": 0, "processes": False, "dashboard_address": None}})
    catalog = json_catalog(tmp_path, "a", x=1)
    dask.run(Pipeline([node(plus_one, "x", "a", name="one")]), catalog)
    assert catalog.load("a") == 2
    assert dask.report[0]["pid"] == os.getpid()  # a thread worker of the in-process cluster


# ---------------------------------------------------------------------------------------- settings


def test_settings_come_from_arguments_then_environment_then_local_then_base_conf(tmp_path, monkeypatch):
    for env, content in {"base": {"scheduler_address": "tcp://base:1", "n_workers": 4, "unit": "namespace"},
                         "local": {"n_workers": 8}}.items():
        (tmp_path / env).mkdir()
        (tmp_path / env / "dask.yml").write_text(yaml.safe_dump(content))
    s = DaskRunner(conf_source=tmp_path).settings
    assert (s["scheduler_address"], s["n_workers"], s["unit"], s["threads_per_worker"]) == ("tcp://base:1", 8, "namespace", 1)
    assert s["_address_source"] == f"scheduler_address in {tmp_path / 'base' / 'dask.yml'}"
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", "tcp://env:2")
    s = DaskRunner(conf_source=tmp_path).settings
    assert (s["scheduler_address"], s["_address_source"]) == ("tcp://env:2", "$DASK_SCHEDULER_ADDRESS")
    s = DaskRunner(conf_source=tmp_path, scheduler_address="tcp://arg:3", unit="node").settings
    assert (s["scheduler_address"], s["unit"]) == ("tcp://arg:3", "node")


def test_unknown_or_invalid_settings_are_refused(tmp_path):
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "dask.yml").write_text("n_wokers: 3\n")
    with pytest.raises(DaskRunnerError, match=r"Unknown DaskRunner setting\(s\) \['n_wokers'\]"):
        DaskRunner(conf_source=tmp_path)
    with pytest.raises(DaskRunnerError, match="unit must be one of"):
        resolve_settings({"unit": "model"}, {})
    with pytest.raises(DaskRunnerError, match="memory_datasets must be one of"):
        resolve_settings({"memory_datasets": "drop"}, {})
    with pytest.raises(DaskRunnerError, match="worker_env must map variable names"):
        resolve_settings({"worker_env": ["MALLOC_TRIM_THRESHOLD_"]}, {})
    with pytest.raises(DaskRunnerError, match="priority must map node-name globs to integers"):
        resolve_settings({"priority": {"global.train": "high"}}, {})


def test_the_local_cluster_workers_get_worker_env_with_dask_s_malloc_trim_unset(tmp_path, monkeypatch):
    # As an earlier LocalCluster's nanny leaves it in this process (and children would inherit it).
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    catalog = json_catalog(tmp_path, "env", x=1)
    dask = runner(None, n_workers=1, worker_env={"MALLOC_TRIM_THRESHOLD_": None, "SYNERGY_PROBE": 7})
    dask.run(Pipeline([node(worker_env_probe, "x", "env", name="probe")]), catalog)
    assert catalog.load("env") == {"MALLOC_TRIM_THRESHOLD_": None, "SYNERGY_PROBE": "7"}
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"  # the driver's own environment is restored
    assert "SYNERGY_PROBE" not in os.environ
    assert DEFAULTS["worker_env"] == {"MALLOC_TRIM_THRESHOLD_": None}


def fan_out() -> Pipeline:
    """A slow root, then three branches that become ready together (all submitted by then)."""
    return Pipeline([node(slow_branch, ["x", "params:root"], ["a", "root_stamp"], name="root")] + [
        node(slow_branch, ["a", "params:seconds"], [f"{b}_out", f"{b}_stamp"], name=b) for b in ("b1", "b2", "b3")])


@pytest.mark.parametrize("first_wanted", ["b1", "b3"])
def test_priority_starts_the_matching_ready_unit_first(tmp_path, first_wanted):
    names = ["a", "root_stamp"] + [f"{b}_{k}" for b in ("b1", "b2", "b3") for k in ("out", "stamp")]
    catalog = json_catalog(tmp_path, *names, x=1, **{"params:root": 1.0, "params:seconds": 0.2})
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as one:
        runner(one.scheduler_address, priority={first_wanted: 5}).run(fan_out(), catalog)
    starts = {b: catalog.load(f"{b}_stamp")["start"] for b in ("b1", "b2", "b3")}
    assert min(starts, key=starts.get) == first_wanted


def docs_yaml(header: str) -> dict:
    text = (Path(__file__).resolve().parents[2] / "docs" / "cluster.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    return yaml.safe_load(next(b for b in blocks if b.startswith(header)))


@pytest.mark.parametrize("header", ["# conf/slurm/dask.yml", "# conf/pbs/dask.yml"])
def test_the_documented_jobqueue_confs_are_valid_and_ask_for_gpu_workers(header):
    conf = docs_yaml(header)
    settings = resolve_settings({}, conf)
    assert settings["resources"] == {"*.train": {"GPU": 1}}
    jobqueue = pytest.importorskip("dask_jobqueue")
    spec = settings["cluster"]
    cluster_class = getattr(jobqueue, spec["class"].rsplit(".", 1)[1])
    with cluster_class(**spec["kwargs"]) as cluster:
        script = cluster.job_script()
    assert "--resources GPU=1" in script
    assert ("--gres=gpu:1" in script) or ("ngpus=1" in script)


def test_the_project_conf_file_documents_every_setting():
    conf = load_dask_conf(Path(__file__).resolve().parents[2] / "conf", env="base")
    assert {k for k in conf if not k.startswith("_")} == set(DEFAULTS)
    resolve_settings({}, conf)


# -------------------------------------------------------------------------- global_vs_local, 3 runners


def run_project(folder: Path, runner) -> Path:
    project = copy_project(folder)
    with inside(project):
        bootstrap_project(project)
        with KedroSession.create(project_path=project, runtime_params=TINY) as session:
            session.run(pipeline_names=["global_vs_local"], runner=runner)
    return project


@pytest.fixture(scope="module")
def sequential_table(tmp_path_factory) -> pd.DataFrame:
    """The reference: SequentialRunner with torch on 1 thread, as on every Dask worker (see below)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        project = run_project(tmp_path_factory.mktemp("sequential") / "project", SequentialRunner())
    finally:
        torch.set_num_threads(threads)
    return pd.read_csv(project / TABLE, dtype={"region": str})


def test_global_vs_local_on_a_local_cluster_gives_the_sequential_table(sequential_table, tmp_path):
    """Bit-identical: same seeds, CPU, 1 torch thread everywhere (more threads change float sums' order)."""
    dask = DaskRunner(n_workers=2, threads_per_worker=1, dashboard_address=None, conf_source="/nonexistent")
    project = run_project(tmp_path / "project", dask)
    table = pd.read_csv(project / TABLE, dtype={"region": str})
    pd.testing.assert_frame_equal(table, sequential_table, check_exact=True)
    trains = [r for r in dask.report if r["unit"].endswith(".train")]
    assert len(trains) == 19 and len({r["worker"] for r in trains}) == 2  # the models trained on both workers
    # Driver-side MLflow hooks saw the persisted outputs as with any runner.
    client = MlflowClient(tracking_uri=tracking_uri(project))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    assert sorted(r.data.tags["model"] for r in runs if "mlflow.parentRunId" in r.data.tags) == ["global", "local_F", "local_K"]


def test_global_vs_local_with_kedro_parallel_runner_gives_the_sequential_table(sequential_table, tmp_path, monkeypatch):
    monkeypatch.setenv("KEDRO_MP_CONTEXT", "spawn")  # fresh processes: no fork after torch's thread pool started
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # torch on 1 thread in each process, like the reference
    project = run_project(tmp_path / "project", ParallelRunner(max_workers=2))
    table = pd.read_csv(project / TABLE, dtype={"region": str})
    pd.testing.assert_frame_equal(table, sequential_table, check_exact=True)
