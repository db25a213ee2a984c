"""Project settings: the tracking hooks and the config files Kedro should read."""

from synergy_kedro.hooks import MlflowTrackingHooks, PipelineStructureHooks, RunLockHooks, RunSummaryHooks
from synergy_kedro.parallel_threads import ParallelThreadsHooks

_TRACKING = MlflowTrackingHooks()
HOOKS = (PipelineStructureHooks(), ParallelThreadsHooks(), RunLockHooks(), _TRACKING, RunSummaryHooks(_TRACKING))

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # Environments (e.g. conf/paper) override single keys of a parameter block, not whole blocks.
    "merge_strategy": {"parameters": "soft"},
    "config_patterns": {
        "mlflow": ["mlflow*", "mlflow*/**"],
    },
}
