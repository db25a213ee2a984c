"""Every node keeps its function's name when ParallelRunner ships it to a worker process."""

from __future__ import annotations

import pickle
import warnings
from multiprocessing.reduction import ForkingPickler

import pytest

from synergy_kedro.pipelines import global_vs_local, similar_vs_dissimilar
from synergy_kedro.pipelines.named_partial import named_partial


def _through_a_worker(obj):
    """What a ProcessPoolExecutor worker receives: multiprocessing's pickler, then unpickling."""
    return pickle.loads(ForkingPickler.dumps(obj))


def _scale(values: list[float], factor: float = 1.0) -> list[float]:
    return [v * factor for v in values]


def test_named_partial_keeps_name_and_bound_arguments_across_processes():
    func = _through_a_worker(named_partial(_scale, factor=2.0))
    assert func.__name__ == "_scale"
    assert func([1.0, 3.0]) == [2.0, 6.0]


@pytest.mark.parametrize("grouped", [False, True])
def test_no_node_is_logged_as_partial_in_a_worker(grouped):
    pipelines = [global_vs_local.pipeline.create_pipeline(["A", "B"], "virtual_conus", grouped=grouped),
                 similar_vs_dissimilar.pipeline.create_pipeline(["8.3.5"], "virtual_conus", grouped=grouped)]
    nodes = [n for p in pipelines for n in p.nodes]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Kedro warns "made from a 'partial' function" for a nameless one
        names = {n.name: _through_a_worker(n)._func_name for n in nodes}
    assert "<partial>" not in names.values()
    assert names["similar_vs_dissimilar_site_sets"] == "similar_vs_dissimilar_site_sets"
