"""G HydroLSTMs in one hand-written recurrence equal G separate torch networks, forward and backward."""

import pytest
import torch

from synergy_kedro.model.grouped_lstm import PARAMETER_NAMES, GroupedLSTMFunction, grouped_forward
from synergy_kedro.model.lstm import HydroLSTM

G, T, B, F, H = 3, 6, 4, 5, 8


def _networks(seed=0):
    torch.manual_seed(seed)
    return [HydroLSTM(F, H, dropout=0.0).double() for _ in range(G)]


def _stacked(models):
    return {name: torch.stack([m.state_dict()[name] for m in models]).requires_grad_() for name in PARAMETER_NAMES}


def test_grouped_lstm_matches_nn_lstm_forward_and_backward():
    torch.manual_seed(0)
    g_, t_, b_, h_ = 3, 7, 5, 4
    lstms = [torch.nn.LSTM(h_, h_, batch_first=True).double() for _ in range(g_)]
    x = torch.randn(g_, b_, t_, h_, dtype=torch.float64, requires_grad=True)
    out = torch.stack([lstm(x[g])[0] for g, lstm in enumerate(lstms)])
    weight = torch.randn_like(out)
    (out * weight).sum().backward()

    w_ih = torch.stack([m.weight_ih_l0 for m in lstms]).detach().requires_grad_()
    w_hh = torch.stack([m.weight_hh_l0 for m in lstms]).detach().requires_grad_()
    bias = torch.stack([m.bias_ih_l0 + m.bias_hh_l0 for m in lstms]).detach().requires_grad_()
    x_g = x.detach().permute(0, 2, 3, 1).contiguous().requires_grad_()  # the grouped layout (G, T, I, B)
    out_g = GroupedLSTMFunction.apply(x_g, w_ih, w_hh, bias, torch.float64)
    (out_g * weight.permute(0, 2, 3, 1)).sum().backward()

    torch.testing.assert_close(out_g.permute(0, 3, 1, 2), out)
    torch.testing.assert_close(x_g.grad.permute(0, 3, 1, 2), x.grad)
    torch.testing.assert_close(w_ih.grad, torch.stack([m.weight_ih_l0.grad for m in lstms]))
    torch.testing.assert_close(w_hh.grad, torch.stack([m.weight_hh_l0.grad for m in lstms]))
    torch.testing.assert_close(bias.grad, torch.stack([m.bias_ih_l0.grad for m in lstms]))
    torch.testing.assert_close(bias.grad, torch.stack([m.bias_hh_l0.grad for m in lstms]))


def test_grouped_forward_is_each_hydrolstm_on_its_own_batch_with_the_same_gradients():
    models = _networks()
    x = torch.randn(G, T, B, F, dtype=torch.float64)
    expected = torch.stack([m(x[g].transpose(0, 1)).transpose(0, 1) for g, m in enumerate(models)])  # (G, T, B)
    weight = torch.randn_like(expected)
    (expected * weight).sum().backward()

    params = _stacked(models)
    out = grouped_forward(params, x)
    (out * weight).sum().backward()

    torch.testing.assert_close(out, expected)
    for name in PARAMETER_NAMES:
        reference = torch.stack([dict(m.named_parameters())[name].grad for m in models])
        torch.testing.assert_close(params[name].grad, reference, msg=name)


def test_weight_masks_are_dropconnect_on_both_lstm_matrices_of_each_model():
    models = _networks(1)
    x = torch.randn(G, T, B, F, dtype=torch.float64)
    m_ih = (torch.rand(G, 4 * H, H) < 0.5).double() * 2
    m_hh = (torch.rand(G, 4 * H, H) < 0.5).double() * 2
    out = grouped_forward(_stacked(models), x, weight_masks=(m_ih, m_hh))
    for g, model in enumerate(models):
        masked = {"weight_ih_l0": model.lstm.weight_ih_l0 * m_ih[g], "weight_hh_l0": model.lstm.weight_hh_l0 * m_hh[g]}
        h = torch.relu(model.input_layer(x[g].transpose(0, 1)))
        lstm_out = torch.func.functional_call(model.lstm, masked, (h,))[0]
        torch.testing.assert_close(out[g], model.head(lstm_out).squeeze(-1).transpose(0, 1))
    assert not torch.allclose(out, grouped_forward(_stacked(models), x))  # the masks do change the output


def test_dropout_masks_multiply_each_models_lstm_output():
    models = _networks(2)
    x = torch.randn(G, T, B, F, dtype=torch.float64)
    masks = (torch.rand(G, T, H, B) < 0.5).double() * 2  # (G, T, H, B) as grouped_forward takes them
    out = grouped_forward(_stacked(models), x, dropout_masks=masks)
    for g, model in enumerate(models):
        h = model.lstm(torch.relu(model.input_layer(x[g].transpose(0, 1))))[0]  # (B, T, H)
        expected = model.head(h * masks[g].permute(2, 0, 1)).squeeze(-1).transpose(0, 1)
        torch.testing.assert_close(out[g], expected)


def test_bfloat16_products_stay_close_to_float32_forward_and_backward():
    torch.manual_seed(3)
    w_ih, w_hh = torch.randn(2, 4 * H, H) * 0.3, torch.randn(2, 4 * H, H) * 0.3
    bias, x = torch.randn(2, 4 * H) * 0.1, torch.randn(2, T, H, B)
    results = []
    for mm_dtype in (torch.float32, torch.bfloat16):
        leaves = [t.clone().requires_grad_() for t in (x, w_ih, w_hh, bias)]
        out = GroupedLSTMFunction.apply(*leaves, mm_dtype)
        out.sum().backward()
        assert out.dtype == torch.float32
        results.append((out.detach(), [t.grad for t in leaves]))
    (out32, grads32), (out16, grads16) = results
    torch.testing.assert_close(out16, out32, rtol=0, atol=3e-2)
    for g16, g32 in zip(grads16, grads32, strict=True):
        assert torch.linalg.norm(g16 - g32) < 3e-2 * torch.linalg.norm(g32)
    assert not torch.equal(out16, out32)  # the bfloat16 path was really taken


@pytest.mark.parametrize("t_", [1, 2])
def test_short_windows_start_from_a_zero_state(t_):
    lstm = torch.nn.LSTM(H, H, batch_first=True).double()
    x = torch.randn(1, B, t_, H, dtype=torch.float64)
    out = GroupedLSTMFunction.apply(x.permute(0, 2, 3, 1).contiguous(), lstm.weight_ih_l0[None].detach(),
                                    lstm.weight_hh_l0[None].detach(), (lstm.bias_ih_l0 + lstm.bias_hh_l0)[None].detach(),
                                    torch.float64)
    torch.testing.assert_close(out.permute(0, 3, 1, 2)[0], lstm(x[0])[0])
