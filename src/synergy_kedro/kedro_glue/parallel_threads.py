"""One torch thread per ParallelRunner process, unless the user chose a thread count.

Kedro's ParallelRunner starts one process per core and torch gives each of them every core, so on
2 cores the demo took over 13 minutes instead of under 3 (docs/cluster.md, "Wall times"). Node
hooks do not run in the workers, so the limit is set in the driver before the pool starts: as
``OMP_NUM_THREADS`` for spawned workers, and as torch's thread count for forked ones.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from kedro.framework.hooks import hook_impl

log = logging.getLogger(__name__)

THREADS_VARIABLE = "OMP_NUM_THREADS"


def limit_threads_for(runner: str) -> bool:
    """Limit this process (and the workers it will start) to one torch thread if ``runner`` is a ParallelRunner."""
    if "ParallelRunner" not in runner or os.environ.get(THREADS_VARIABLE):
        return False
    import torch

    os.environ[THREADS_VARIABLE] = "1"
    torch.set_num_threads(1)
    log.info("ParallelRunner: torch uses 1 thread in each worker process (set %s to choose another count).",
             THREADS_VARIABLE)
    return True


class ParallelThreadsHooks:
    """Applies :func:`limit_threads_for` before the runner starts its process pool."""

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline, catalog) -> None:
        limit_threads_for(str(run_params.get("runner", "")))
