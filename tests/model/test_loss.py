import math

import torch

from synergy_kedro.model.loss import masked_rmse


def test_rmse_ignores_missing_targets():
    pred = torch.tensor([[1.0, 2.0, 3.0, 100.0]])
    target = torch.tensor([[2.0, 2.0, 5.0, float("nan")]])
    expected = math.sqrt((1 + 0 + 4) / 3)
    assert torch.isclose(masked_rmse(pred, target), torch.tensor(expected))


def test_all_missing_gives_nan_not_zero():
    assert torch.isnan(masked_rmse(torch.ones(2, 3), torch.full((2, 3), float("nan"))))


def test_gradient_flows_only_through_observed_steps():
    pred = torch.zeros(1, 3, requires_grad=True)
    masked_rmse(pred, torch.tensor([[1.0, float("nan"), 1.0]])).backward()
    assert pred.grad[0, 1] == 0
    assert torch.all(pred.grad[0, [0, 2]] != 0)
