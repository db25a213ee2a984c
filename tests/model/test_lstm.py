"""HydroLSTM's dropout and initialisation are hydroDL's (CudnnLstm, drMethod="drW")."""

import math

import pytest
import torch

from synergy_kedro.model import lstm as lstm_module
from synergy_kedro.model.dropout import keep_mask
from synergy_kedro.model.lstm import HydroLSTM

H, P = 16, 0.5


def _plain(model: HydroLSTM, x: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor) -> torch.Tensor:
    """The network with the given LSTM weight matrices and no dropout (an independent reference)."""
    ref = torch.nn.LSTM(H, H, batch_first=True)
    ref.load_state_dict({**model.lstm.state_dict(), "weight_ih_l0": w_ih, "weight_hh_l0": w_hh})
    return model.head(ref(torch.relu(model.input_layer(x)))[0]).squeeze(-1)


def test_drop_connect_draws_one_mask_per_batch_on_both_weight_matrices(monkeypatch):
    model = HydroLSTM(3, H, P, "weights").train()
    shapes = []
    real = lstm_module.keep_mask
    monkeypatch.setattr(lstm_module, "keep_mask", lambda shape, *a, **k: shapes.append(tuple(shape)) or real(shape, *a, **k))
    x = torch.randn(5, 7, 3)
    model(x)
    assert shapes == [(4 * H, H), (4 * H, H)]  # w_ih then w_hh, once for the whole batch and window


def test_drop_connect_output_is_the_network_with_masked_weights_scaled_by_1_over_keep():
    model = HydroLSTM(3, H, P, "weights").train()
    x = torch.randn(5, 7, 3)
    torch.manual_seed(123)
    out = model(x)
    torch.manual_seed(123)
    m_ih, m_hh = keep_mask((4 * H, H), 1 - P), keep_mask((4 * H, H), 1 - P)
    assert set(m_ih.unique().tolist()) == {0.0, 1 / (1 - P)}
    assert abs(float((m_ih > 0).float().mean()) - (1 - P)) < 0.05
    expected = _plain(model, x, model.lstm.weight_ih_l0 * m_ih, model.lstm.weight_hh_l0 * m_hh)
    torch.testing.assert_close(out, expected)
    assert not torch.allclose(model(x), out)  # the next batch draws new masks


def test_drop_connect_is_off_in_evaluation():
    model = HydroLSTM(3, H, P, "weights").eval()
    x = torch.randn(5, 7, 3)
    torch.testing.assert_close(model(x), _plain(model, x, model.lstm.weight_ih_l0, model.lstm.weight_hh_l0))
    torch.testing.assert_close(model(x), model(x))


def test_gradient_reaches_only_the_kept_weights():
    model = HydroLSTM(3, H, P, "weights").train()
    x = torch.randn(5, 7, 3)
    torch.manual_seed(7)
    model(x).sum().backward()
    torch.manual_seed(7)
    m_ih = keep_mask((4 * H, H), 1 - P)
    assert (model.lstm.weight_ih_l0.grad[m_ih == 0] == 0).all()
    assert (model.lstm.weight_ih_l0.grad[m_ih > 0] != 0).float().mean() > 0.9


@pytest.mark.parametrize("hidden", [16, 64])
def test_lstm_parameters_start_uniform_in_one_over_sqrt_hidden_as_hydrodl(hidden):
    model = HydroLSTM(3, hidden)
    bound = 1 / math.sqrt(hidden)
    for name, p in model.lstm.named_parameters():
        assert p.abs().max() <= bound, name
        assert p.abs().max() > 0.95 * bound, name  # spread over the whole interval, not a narrower one


def test_output_dropout_remains_available():
    model = HydroLSTM(3, H, P, "outputs").train()
    x = torch.randn(5, 7, 3)
    torch.manual_seed(1)
    out = model(x)
    torch.manual_seed(1)
    h = model.lstm(torch.relu(model.input_layer(x)))[0]
    expected = model.head(h * keep_mask(h.shape, 1 - P)).squeeze(-1)
    torch.testing.assert_close(out, expected)
