"""AdaDelta and Adam on stacked parameters step each model as torch.optim steps it alone."""

import pytest
import torch

from synergy_kedro.model.stacked_optimizers import StackedAdadelta, StackedAdam, stacked_optimizer


@pytest.mark.parametrize("cls,torch_cls,lr", [(StackedAdadelta, torch.optim.Adadelta, 1.0),
                                              (StackedAdadelta, torch.optim.Adadelta, 0.3),
                                              (StackedAdam, torch.optim.Adam, 1e-3),
                                              (StackedAdam, torch.optim.Adam, 0.05)])
def test_stacked_optimizer_steps_each_model_as_torch_does(cls, torch_cls, lr):
    """Three models, steps on rows {0,1,2}, {2}, {0,2}, …: each row follows torch's optimizer on its own."""
    torch.manual_seed(0)
    singles = [torch.randn(4, 3, requires_grad=True) for _ in range(3)]
    stacked = {"w": torch.stack([p.detach().clone() for p in singles])}
    optimizer = cls(stacked, lr)
    references = [torch_cls([p], lr=lr) for p in singles]
    for rows in ([0, 1, 2], [2], [0, 2], [1], [0, 1, 2], [2]):
        grads = torch.randn(len(rows), 4, 3)
        for k, g in enumerate(rows):
            singles[g].grad = grads[k].clone()
            references[g].step()
        optimizer.step({"w": grads}, None if len(rows) == 3 else torch.tensor(rows))
    for g in range(3):
        torch.testing.assert_close(stacked["w"][g], singles[g].detach(), rtol=1e-6, atol=1e-7)


def _steps(optimizer, grads):
    for rows, g in grads:
        optimizer.step({"w": g[0], "b": g[1]}, rows)


@pytest.mark.parametrize("cls", [StackedAdadelta, StackedAdam])
def test_state_dict_resumes_to_the_same_parameters_as_an_uninterrupted_run(cls):
    torch.manual_seed(1)
    start = {"w": torch.randn(3, 4, 2), "b": torch.randn(3, 4)}
    plan = [(None, (torch.randn(3, 4, 2), torch.randn(3, 4))), (torch.tensor([1]), (torch.randn(1, 4, 2), torch.randn(1, 4))),
            (torch.tensor([0, 2]), (torch.randn(2, 4, 2), torch.randn(2, 4))), (None, (torch.randn(3, 4, 2), torch.randn(3, 4)))]
    whole = cls({k: v.clone() for k, v in start.items()}, 0.1)
    _steps(whole, plan)

    first = cls({k: v.clone() for k, v in start.items()}, 0.1)
    _steps(first, plan[:2])
    saved = first.state_dict()
    resumed = cls({k: v.clone() for k, v in first.params.items()}, 0.1)
    resumed.load_state_dict(saved)
    _steps(resumed, plan[2:])

    for name in start:
        torch.testing.assert_close(resumed.params[name], whole.params[name], rtol=0, atol=0)
    assert resumed.steps.tolist() == [3.0, 3.0, 3.0] and whole.steps.tolist() == [3.0, 3.0, 3.0]


def test_models_not_stepped_keep_their_parameters_and_state():
    params = {"w": torch.ones(3, 2)}
    optimizer = StackedAdam(params, 0.1)
    optimizer.step({"w": torch.full((1, 2), 5.0)}, torch.tensor([1]))
    assert torch.equal(params["w"][[0, 2]], torch.ones(2, 2)) and not torch.equal(params["w"][1], torch.ones(2))
    assert optimizer.steps.tolist() == [0.0, 1.0, 0.0]
    assert torch.count_nonzero(optimizer.state["exp_avg"]["w"][[0, 2]]) == 0


@pytest.mark.parametrize("name,lr,cls,torch_cls", [("adam", None, StackedAdam, torch.optim.Adam),
                                                  ("adadelta", None, StackedAdadelta, torch.optim.Adadelta),
                                                  ("adam", 0.02, StackedAdam, torch.optim.Adam)])
def test_the_factory_picks_the_optimizer_and_torchs_default_learning_rate(name, lr, cls, torch_cls):
    optimizer = stacked_optimizer({"w": torch.zeros(2, 3)}, name, lr)
    reference = torch_cls([torch.zeros(1, requires_grad=True)], **({"lr": lr} if lr is not None else {}))
    assert type(optimizer) is cls and optimizer.lr == reference.defaults["lr"]
