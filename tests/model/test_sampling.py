import math

import numpy as np
import torch

from synergy_kedro.model.sampling import batches_per_epoch, gather_windows, iterations_per_epoch, random_windows


def test_iterations_per_epoch_is_hydrodl_rule():
    # p = 100*30/(10*1000) = 0.3 → ceil(log(0.01)/log(0.7)) = 13
    assert iterations_per_epoch(10, 1000, 30, 100) == math.ceil(math.log(0.01) / math.log(0.7)) == 13
    assert iterations_per_epoch(1, 10, 30, 100) == 1


def test_floor_on_updates_lifts_only_models_below_it():
    # A region smaller than one batch gets one batch per epoch by the rule; 50 updates over 10 epochs → 5.
    assert batches_per_epoch(7, 3652, 365, 500, epochs=10) == 1
    assert batches_per_epoch(7, 3652, 365, 500, epochs=10, min_total=50) == 5
    assert batches_per_epoch(7, 3652, 365, 500, epochs=3, min_total=50) == 17  # rounded up, never below
    # The global model's 43 batches per epoch are above the floor and unchanged.
    assert batches_per_epoch(482, 3652, 365, 500, epochs=10, min_total=50) == iterations_per_epoch(482, 3652, 365, 500)
    assert batches_per_epoch(482, 3652, 365, 500, epochs=10, fixed=3, min_total=50) == 5
    assert batches_per_epoch(482, 3652, 365, 500, epochs=10, fixed=3) == 3


def test_windows_stay_inside_the_series():
    sites, starts = random_windows(np.random.default_rng(0), 5, 50, 30, 1000)
    assert sites.min() >= 0 and sites.max() == 4
    assert starts.min() == 0 and starts.max() == 20


def test_gather_takes_consecutive_days_of_the_drawn_site():
    x = torch.arange(3 * 10 * 2, dtype=torch.float32).reshape(3, 10, 2)
    y = torch.arange(3 * 10, dtype=torch.float32).reshape(3, 10)
    xb, yb = gather_windows(x, y, np.array([2, 0]), np.array([5, 1]), 4)
    assert xb.shape == (2, 4, 2) and yb.shape == (2, 4)
    assert torch.equal(yb[0], y[2, 5:9]) and torch.equal(yb[1], y[0, 1:5])
    assert torch.equal(xb[0], x[2, 5:9])
