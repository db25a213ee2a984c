"""The small synthetic series the engine tests train on: y a linear mix of two inputs, every third day missing."""

import numpy as np


def series(n_sites: int, n_time: int = 80, seed: int = 0, n_features: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_sites, n_time, n_features)).astype("float32")
    y = (0.8 * x[..., 0] - 0.5 * x[..., 1]).astype("float32")
    y[:, ::3] = np.nan
    return x, y
