"""Project settings: the tracking hooks and the config files Kedro should read."""

import warnings

from synergy_kedro.kedro_glue.hooks import MlflowTrackingHooks, PipelineStructureHooks, RunLockHooks, RunSummaryHooks
from synergy_kedro.kedro_glue.parallel_threads import ParallelThreadsHooks

# Two warnings every `kedro run` printed before anything useful, both harmless here:
# - Kedro 1.7's own config loader calls OmegaConf's deprecated register_new_resolver (Kedro's code, not ours);
# - Kedro's style warning for dataset names with '.': ours are Kedro namespaces on purpose
#   (``local_A.model``), read by the few nodes that span models (site sets, grouped training, comparisons).
warnings.filterwarnings("ignore", message=r"register_new_resolver\(\) is deprecated", category=UserWarning)
warnings.filterwarnings("ignore", message=r"One or more dataset names contain '\.' characters", category=UserWarning)

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
