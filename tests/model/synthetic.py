"""The small synthetic series the engine tests train on: y a linear mix of two inputs, every third day missing."""

from pathlib import Path

import numpy as np
import yaml

from synergy_kedro.model.training import TrainingConfig
from synergy_kedro.pipelines.modelling.nodes import training_config

REPO = Path(__file__).resolve().parents[2]


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
    with (REPO / "conf/base/parameters_modelling.yml").open() as f:
        training = yaml.safe_load(f)["training"]
    return training_config({**training, **changes}, "soil_moisture")  # checked as the YAML would be
