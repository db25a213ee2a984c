"""Kedro runners for this project: :class:`DaskRunner` runs a pipeline on a Dask distributed cluster.

``kedro run --runner synergy_kedro.runners.DaskRunner --pipeline global_vs_local``; see
``docs/cluster.md``. ``distributed`` is imported only when a run starts.
"""

from .dask_runner import DaskRunner, DaskRunnerError, NodeFailedError, TransferError

__all__ = ["DaskRunner", "DaskRunnerError", "NodeFailedError", "TransferError"]
