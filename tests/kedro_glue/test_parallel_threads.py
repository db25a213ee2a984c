"""Kedro's ParallelRunner gets one torch thread per worker process unless the user set a count."""

from __future__ import annotations

import os

import pytest
import torch
from kedro.io import MemoryDataset, SharedMemoryDataCatalog
from kedro.pipeline import Pipeline, node
from kedro.runner import ParallelRunner
from kedro_datasets.json import JSONDataset

from synergy_kedro.kedro_glue.parallel_threads import THREADS_VARIABLE, limit_threads_for
from tests.runners.toy_nodes import torch_threads

PARALLEL = str(ParallelRunner())


@pytest.fixture(autouse=True)
def keep_threads():
    """limit_threads_for writes os.environ and torch directly: put both back for the other tests."""
    variable, threads = os.environ.pop(THREADS_VARIABLE, None), torch.get_num_threads()
    yield
    os.environ.pop(THREADS_VARIABLE, None)
    if variable is not None:
        os.environ[THREADS_VARIABLE] = variable
    torch.set_num_threads(threads)


def test_other_runners_and_a_chosen_count_are_left_alone(monkeypatch):
    assert not limit_threads_for("<kedro.runner.sequential_runner.SequentialRunner object at 0x1>")
    assert THREADS_VARIABLE not in os.environ
    monkeypatch.setenv(THREADS_VARIABLE, "2")
    assert not limit_threads_for(PARALLEL)
    assert os.environ[THREADS_VARIABLE] == "2"


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: torch already uses one thread")
@pytest.mark.parametrize("context", ["spawn", "fork"])
def test_parallel_runner_workers_train_on_one_torch_thread(tmp_path, monkeypatch, context):
    monkeypatch.setenv("KEDRO_MP_CONTEXT", context)
    assert limit_threads_for(PARALLEL)
    assert os.environ[THREADS_VARIABLE] == "1" and torch.get_num_threads() == 1
    catalog = SharedMemoryDataCatalog(datasets={"x": MemoryDataset(1),
                                                "threads": JSONDataset(filepath=str(tmp_path / "threads.json"))})
    ParallelRunner(max_workers=2).run(Pipeline([node(torch_threads, "x", "threads", name="probe")]), catalog)
    assert catalog.load("threads") == 1
