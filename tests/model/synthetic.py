"""The small synthetic series the engine tests train on (y a linear mix of two inputs, every third day missing),
their settings, and a stand-in for a kill between epochs."""

from collections.abc import Callable

import numpy as np

from synergy_kedro.model.training import TrainingConfig
from synergy_kedro.pipelines.modelling.nodes import training_config
from tests.parameter_blocks import block


def series(n_sites: int, n_time: int = 80, seed: int = 0, n_features: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_sites, n_time, n_features)).astype("float32")
    y = (0.8 * x[..., 0] - 0.5 * x[..., 1]).astype("float32")
    y[:, ::3] = np.nan
    return x, y


def config(**changes) -> TrainingConfig:
    """conf/base's training settings (the one place they are set) for soil moisture, with ``changes``.

    The engine has no defaults of its own; tests change only what they need, as a user does in YAML.
    """
    return training_config(block("training", **changes), "soil_moisture")  # checked as the YAML would be


class Killed(Exception):
    """Raised between epochs where a run would be killed."""


def kill_after(epoch: int) -> Callable[[int], None]:
    """An ``on_epoch_end`` callback that "kills" the run once ``epoch`` is done (its checkpoint saved)."""
    def on_epoch_end(done: int) -> None:
        if done == epoch:
            raise Killed
    return on_epoch_end
