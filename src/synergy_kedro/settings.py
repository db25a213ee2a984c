"""Project settings: the tracking hooks and the config files Kedro should read."""

from synergy_kedro.hooks import MlflowTrackingHooks

HOOKS = (MlflowTrackingHooks(),)

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {
        "mlflow": ["mlflow*", "mlflow*/**"],
    },
}
