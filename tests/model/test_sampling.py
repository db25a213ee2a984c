import logging
import math

import numpy as np
import pytest
import torch

from synergy_kedro.model.sampling import (
    EpochPlan,
    effective_batch,
    epoch_plan,
    gather_windows,
    iterations_per_epoch,
    random_windows,
)


def test_iterations_per_epoch_is_hydrodl_rule():
    # p = 100*30/(1000*1000) → ceil(log(0.01)/log(1 - p)); batch below the site count: no cap.
    p = 100 * 30 / (1000 * 1000)
    assert iterations_per_epoch(1000, 1000, 30, 100) == math.ceil(math.log(0.01) / math.log(1 - p)) == 1533
    assert iterations_per_epoch(1, 10, 30, 100) == 1  # a window as long as the series: one batch


def test_region_smaller_than_a_batch_trains_with_its_site_count_and_hydrodl_updates():
    # hydroDL's train.py caps the batch at the site count before its epoch rule.
    plan = epoch_plan(20, 3652, 365, 500, epochs=500)
    assert plan == EpochPlan(batch_size=20, iterations=44)
    assert plan.iterations == math.ceil(math.log(0.01) / math.log(1 - 20 * 365 / (20 * 3652)))


def test_region_larger_than_a_batch_keeps_the_batch():
    plan = epoch_plan(339, 366, 30, 100, epochs=500)
    assert plan.batch_size == 100
    assert plan.iterations == math.ceil(math.log(0.01) / math.log(1 - 100 * 30 / (339 * 366))) == 189


def test_effective_batch_is_the_smaller_of_batch_and_sites():
    assert effective_batch(500, 7) == 7 and effective_batch(100, 339) == 100 and effective_batch(100, 100) == 100


def test_optional_floor_on_updates_lifts_only_models_below_it():
    assert epoch_plan(7, 3652, 365, 500, epochs=10).iterations == 44
    assert epoch_plan(7, 3652, 365, 500, epochs=10, min_total=1000).iterations == 100
    assert epoch_plan(7, 3652, 365, 500, epochs=3, min_total=200).iterations == 67  # rounded up, never below
    assert epoch_plan(7, 3652, 365, 500, epochs=10, min_total=50).iterations == 44  # above the floor: unchanged
    assert epoch_plan(482, 3652, 365, 500, epochs=10, fixed=3, min_total=50).iterations == 5
    assert epoch_plan(482, 3652, 365, 500, epochs=10, fixed=3) == EpochPlan(482, 3)  # 482 basins < batch 500: capped too


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


@pytest.mark.parametrize("n_sites,updates", [(10, 3), (25, 12), (53, 28), (339, 189)])
def test_paper_rule_soil_moisture_updates_per_epoch(n_sites, updates):
    """The paper's soil-moisture code (no batch cap), T 366 days, window 30, batch 100."""
    plan = epoch_plan(n_sites, 366, 30, 100, epochs=500, rule="paper")
    assert plan == EpochPlan(batch_size=100, iterations=updates)


def test_paper_rule_where_one_batch_covers_the_data_gives_one_update_and_warns(caplog):
    """8 pixels × 366 days ≤ 100 × 30: their code takes log of a negative number; ours makes 1 update, said."""
    with caplog.at_level(logging.WARNING, logger="synergy_kedro.model.sampling"):
        plan = epoch_plan(8, 366, 30, 100, epochs=500, rule="paper", label="local_Q")
    assert plan == EpochPlan(batch_size=100, iterations=1)
    assert "local_Q" in caplog.text and "1 update per epoch" in caplog.text


def test_paper_rule_streamflow_region_covered_by_one_batch_gets_one_update():
    """trainBasin: ``if nbatch*rho > ns*nt: nIterEp = 1``; 29 years (10,592 days), 17 basins: 182,500 > 180,064."""
    assert epoch_plan(17, 10592, 365, 500, epochs=500, rule="paper") == EpochPlan(500, 1)
    assert epoch_plan(18, 10592, 365, 500, epochs=500, rule="paper").iterations == math.ceil(
        math.log(0.01) / math.log(1 - 500 * 365 / (18 * 10592)))
    # hydroDL's cap gives the same small region as many updates per epoch as a large one
    assert epoch_plan(17, 10592, 365, 500, epochs=500, rule="capped") == EpochPlan(17, 132)


def test_capped_rule_is_unchanged_by_the_procedures():
    for n_sites in (8, 10, 25, 53, 339):
        assert epoch_plan(n_sites, 366, 30, 100, epochs=500) == epoch_plan(n_sites, 366, 30, 100, epochs=500,
                                                                          rule="capped")
    assert epoch_plan(10, 366, 30, 100, epochs=500, rule="capped") == EpochPlan(10, 54)
