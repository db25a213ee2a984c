"""Dropout masks: 1/keep with probability keep, else 0; the same generator state draws the same mask."""

import math

import pytest
import torch

from synergy_kedro.model.dropout import keep_mask

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.parametrize("keep", [0.5, 0.8, 0.25])
def test_a_unit_is_kept_with_probability_keep_and_scaled_by_one_over_keep(keep):
    n = 200_000
    mask = keep_mask((n,), keep, torch.Generator().manual_seed(1))
    assert mask.dtype == torch.float32
    assert mask.unique().tolist() == pytest.approx([0.0, 1 / keep])
    kept = float((mask > 0).float().mean())
    assert abs(kept - keep) < 5 * math.sqrt(keep * (1 - keep) / n)  # five binomial standard errors
    assert abs(float(mask.mean()) - 1.0) < 0.02  # unbiased: E[mask] = 1, so the expected activation is unchanged


def test_units_are_dropped_independently():
    mask = keep_mask((400, 400), 0.5, torch.Generator().manual_seed(2)) > 0
    rows, cols = mask.float().mean(1), mask.float().mean(0)
    assert rows.std() < 0.05 and cols.std() < 0.05  # no whole row or column kept or dropped together
    both = (mask[:, :-1] & mask[:, 1:]).float().mean()
    assert abs(float(both) - 0.25) < 0.01  # neighbours kept together as often as chance says


def test_the_same_generator_state_draws_the_same_mask_filled_in_row_major_order():
    a = keep_mask((3, 4, 5), 0.6, torch.Generator().manual_seed(7))
    b = keep_mask((60,), 0.6, torch.Generator().manual_seed(7))
    assert torch.equal(a.reshape(-1), b)
    assert not torch.equal(a, keep_mask((3, 4, 5), 0.6, torch.Generator().manual_seed(8)))


def test_without_a_generator_the_global_seed_decides():
    torch.manual_seed(3)
    first = keep_mask((50, 8), 0.5)
    second = keep_mask((50, 8), 0.5)
    torch.manual_seed(3)
    assert torch.equal(keep_mask((50, 8), 0.5), first)
    assert not torch.equal(first, second)  # each call draws afresh


def test_keep_one_keeps_everything_unscaled():
    assert torch.equal(keep_mask((10, 3), 1.0), torch.ones(10, 3))


@CUDA
def test_on_cuda_the_mask_has_the_same_law():
    keep = 0.7
    mask = keep_mask((100_000,), keep, device="cuda")
    assert mask.is_cuda and mask.unique().tolist() == pytest.approx([0.0, 1 / keep])
    assert abs(float((mask > 0).float().mean()) - keep) < 0.01
