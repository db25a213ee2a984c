"""G independent HydroLSTMs in one recurrence: the arithmetic of grouped training.

The models of a group share the architecture, so their parameters stack along a leading axis and
one pass computes all G with batched products. ``nn.LSTM`` has no grouped form, so the recurrence
is written by hand, forward and backward through time (:class:`GroupedLSTMFunction`);
:func:`grouped_forward` is the whole HydroLSTM on stacked parameters. Used by
:mod:`synergy_kedro.model.grouped`; the design is in docs/grouped_training.md.
"""

from __future__ import annotations

import functools

import torch

from .device import no_autocast

#: The HydroLSTM parameters a group stacks, in the order it keeps them.
PARAMETER_NAMES = ("input_layer.weight", "input_layer.bias", "lstm.weight_ih_l0", "lstm.weight_hh_l0",
                   "lstm.bias_ih_l0", "lstm.bias_hh_l0", "head.weight", "head.bias")


@functools.lru_cache(maxsize=16)
def _gate_order(hidden: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """PyTorch's gate rows (i, f, g, o) → (i, f, o, g), so one sigmoid covers three gates; and back."""
    h = hidden
    perm = torch.cat([torch.arange(0, 2 * h), torch.arange(3 * h, 4 * h), torch.arange(2 * h, 3 * h)])
    return perm.to(device), torch.argsort(perm).to(device)


class GroupedLSTMFunction(torch.autograd.Function):
    """G single-layer LSTMs (PyTorch's gate order i, f, g, o; zero initial state) in one recurrence.

    ``x`` (G, T, I, B), ``w_ih`` (G, 4H, I), ``w_hh`` (G, 4H, H), ``bias`` (G, 4H) (= b_ih + b_hh)
    → hidden states (G, T, H, B).

    Layout: time outermost, batch innermost, so every step works on contiguous (·, B) blocks
    (element-wise operations on contiguous memory run 2–3× faster on CPU than on strided views).
    The step's input and recurrent products and the bias are one product,
    gates_t = [W_ih | W_hh | b] · z_t with z_t = [x_t ; h_{t−1} ; 1] kept in one buffer ``z``
    (G, T + 1, I + H + 1, B) into which each step writes its h. Internally the gate rows are
    ordered (i, f, o, g) so one sigmoid covers three gates.

    Forward: 7 operations per step. Backward: back-propagation through time by hand, 19
    operations per step on (G, ·, B) blocks, using h = o·tanh c to save work
    (o(1 − tanh²c) = o − h·tanh c; tanh c·o(1 − o) = h − h·o); one product gives the gradient
    with respect to z_t and one accumulates [dW_ih | dW_hh | db] += dgates_t · z_tᵀ.
    """

    @staticmethod
    def forward(ctx, x, w_ih, w_hh, bias, mm_dtype=torch.float32):
        with no_autocast(x.device.type):
            g_, t_, i_, b_ = x.shape
            h_ = w_hh.shape[-1]
            perm, _ = _gate_order(h_, x.device)
            w_cat = torch.cat([w_ih.index_select(1, perm), w_hh.index_select(1, perm),
                               bias.index_select(1, perm).unsqueeze(2)], dim=2)  # (G, 4H, I+H+1)
            z = x.new_empty(g_, t_ + 1, i_ + h_ + 1, b_)  # [x_t ; h_{t−1} ; 1]
            z[:, :t_, :i_].copy_(x)
            z[:, t_, :i_].zero_()
            z[:, 0, i_:i_ + h_].zero_()
            z[:, :, i_ + h_].fill_(1.0)
            acts = x.new_empty(g_, t_, 4 * h_, b_)  # gate activations (i, f, o, g)
            cs = x.new_empty(g_, t_ + 1, h_, b_)  # c_0 … c_T
            cs[:, 0].zero_()
            tcs = x.new_empty(g_, t_, h_, b_)  # tanh(c_1) … tanh(c_T)
            w_mm = w_cat if mm_dtype == x.dtype else w_cat.to(mm_dtype)
            for t in range(t_):
                a = acts[:, t]
                if mm_dtype == x.dtype:
                    torch.bmm(w_cat, z[:, t], out=a)
                else:
                    a.copy_(torch.bmm(w_mm, z[:, t].to(mm_dtype)))
                a[:, :3 * h_].sigmoid_()
                a[:, 3 * h_:].tanh_()
                c = cs[:, t + 1]
                torch.mul(a[:, h_:2 * h_], cs[:, t], out=c)
                c.addcmul_(a[:, :h_], a[:, 3 * h_:])
                torch.tanh(c, out=tcs[:, t])
                torch.mul(a[:, 2 * h_:3 * h_], tcs[:, t], out=z[:, t + 1, i_:i_ + h_])
        ctx.mm_dtype = mm_dtype
        ctx.save_for_backward(w_cat, acts, cs, tcs, z)
        return z[:, 1:, i_:i_ + h_]

    @staticmethod
    def backward(ctx, dout):
        w_cat, acts, cs, tcs, z = ctx.saved_tensors
        mm_dtype = ctx.mm_dtype
        with no_autocast(z.device.type):
            g_, t_, four_h, b_ = acts.shape
            h_ = four_h // 4
            i_ = w_cat.shape[2] - h_ - 1
            _, inverse = _gate_order(h_, z.device)
            dz = z.new_empty(g_, t_, i_ + h_ + 1, b_)  # gradient with respect to z_t
            d_wcat = z.new_zeros(g_, 4 * h_, i_ + h_ + 1)
            dh, dc = z.new_empty(g_, h_, b_), z.new_zeros(g_, h_, b_)
            s1, s2 = z.new_empty(g_, h_, b_), z.new_empty(g_, h_, b_)
            dg = z.new_empty(g_, 4 * h_, b_)
            w_cat_t = w_cat.transpose(1, 2)  # (G, I+H+1, 4H)
            if mm_dtype != z.dtype:
                w_cat_t = w_cat_t.to(mm_dtype)
            for t in range(t_ - 1, -1, -1):
                a = acts[:, t]
                i, f, o, g = a[:, :h_], a[:, h_:2 * h_], a[:, 2 * h_:3 * h_], a[:, 3 * h_:]
                h, tc = z[:, t + 1, i_:i_ + h_], tcs[:, t]
                if t == t_ - 1:
                    dh.copy_(dout[:, t])
                else:
                    torch.add(dout[:, t], dz[:, t + 1, i_:i_ + h_], out=dh)
                torch.addcmul(o, h, tc, value=-1, out=s1)  # o (1 − tanh² c)
                dc.addcmul_(dh, s1)
                torch.addcmul(h, h, o, value=-1, out=s1)  # tanh c · o (1 − o)
                torch.mul(dh, s1, out=dg[:, 2 * h_:3 * h_])
                torch.addcmul(i, i, i, value=-1, out=s1)  # i (1 − i)
                s1.mul_(g)
                torch.mul(dc, s1, out=dg[:, :h_])
                torch.addcmul(f, f, f, value=-1, out=s1)  # f (1 − f)
                s1.mul_(cs[:, t])
                torch.mul(dc, s1, out=dg[:, h_:2 * h_])
                torch.mul(i, g, out=s2)
                torch.addcmul(i, s2, g, value=-1, out=s1)  # i (1 − g²)
                torch.mul(dc, s1, out=dg[:, 3 * h_:])
                dc.mul_(f)
                if mm_dtype == z.dtype:
                    torch.bmm(w_cat_t, dg, out=dz[:, t])
                    d_wcat.baddbmm_(dg, z[:, t].transpose(1, 2))
                else:
                    dg_mm = dg.to(mm_dtype)
                    dz[:, t].copy_(torch.bmm(w_cat_t, dg_mm))
                    d_wcat.add_(torch.bmm(dg_mm, z[:, t].transpose(1, 2).to(mm_dtype)))
            d_wih = d_wcat[:, :, :i_].index_select(1, inverse)
            d_whh = d_wcat[:, :, i_:i_ + h_].index_select(1, inverse)
            d_bias = d_wcat[:, :, i_ + h_].index_select(1, inverse)
        return dz[:, :, :i_], d_wih, d_whh, d_bias, None


def grouped_forward(params: dict[str, torch.Tensor], x: torch.Tensor, dropout_masks: torch.Tensor | None = None,
                    mm_dtype: torch.dtype = torch.float32,
                    weight_masks: tuple[torch.Tensor, torch.Tensor] | None = None) -> torch.Tensor:
    """G HydroLSTMs on a batch x (G, T, B, F) → (G, T, B).

    ``params`` are the stacked HydroLSTM parameters (:data:`PARAMETER_NAMES`, leading axis G);
    ``dropout_masks`` (G, T, H, B), already scaled by 1/(1 − p), or None: dropout on the LSTM output
    (``dropout_method="outputs"``); ``weight_masks`` (G, 4H, H) twice, scaled likewise, or None:
    DropConnect on the input-to-hidden and hidden-to-hidden weights (``"weights"``, hydroDL's).
    """
    def linear(w, inputs, b):  # w (G, O, I) · inputs (G, T, I, B) + b → (G, T, O, B)
        if mm_dtype == inputs.dtype:
            out = torch.matmul(w.unsqueeze(1), inputs)
        else:
            out = torch.matmul(w.unsqueeze(1).to(mm_dtype), inputs.to(mm_dtype)).to(inputs.dtype)
        return out + b[:, None, :, None]

    h = torch.relu(linear(params["input_layer.weight"], x.transpose(2, 3), params["input_layer.bias"]))
    w_ih, w_hh = params["lstm.weight_ih_l0"], params["lstm.weight_hh_l0"]
    if weight_masks is not None:
        w_ih, w_hh = w_ih * weight_masks[0], w_hh * weight_masks[1]
    out = GroupedLSTMFunction.apply(h, w_ih, w_hh, params["lstm.bias_ih_l0"] + params["lstm.bias_hh_l0"], mm_dtype)
    if dropout_masks is not None:
        out = out * dropout_masks
    return linear(params["head.weight"], out, params["head.bias"]).squeeze(2)
