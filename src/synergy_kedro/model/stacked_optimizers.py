"""AdaDelta and Adam on stacked parameters (leading axis = model), with per-model state.

The grouped engine (:mod:`synergy_kedro.model.grouped`) updates only the models that took part
in a step, so each model's optimizer state advances exactly as ``torch.optim``'s would for that
model alone. The formulas are torch's single-tensor updates with torch's defaults (what
``train_lstm`` uses on CPU), operation for operation where torch's API allows it.
"""

from __future__ import annotations

import torch

from .optimizers import learning_rate

ADADELTA_RHO, ADADELTA_EPS = 0.9, 1e-6
ADAM_BETA1, ADAM_BETA2, ADAM_EPS = 0.9, 0.999, 1e-8


class StackedOptimizer:
    """State tensors per stacked parameter; :meth:`step` updates the rows of the stepped models."""

    slots: tuple[str, ...] = ()

    def __init__(self, params: dict[str, torch.Tensor], lr: float) -> None:
        self.params, self.lr = params, lr
        self.state = {slot: {k: torch.zeros_like(v) for k, v in params.items()} for slot in self.slots}
        first = next(iter(params.values()))
        # Updates per model (Adam's bias correction), on the parameters' device: a step never waits for the GPU.
        self.steps = torch.zeros(first.shape[0], dtype=torch.float64, device=first.device)

    @torch.no_grad()
    def step(self, grads: dict[str, torch.Tensor], rows: torch.Tensor | None) -> None:
        """Apply ``grads`` (one row per stepped model, in ``rows`` order); ``rows`` None = all models."""
        if rows is None:
            self.steps += 1
            steps = self.steps
        else:
            self.steps.index_add_(0, rows, torch.ones(rows.shape, dtype=self.steps.dtype, device=rows.device))
            steps = self.steps.index_select(0, rows)
        for name, param in self.params.items():
            slots = [self.state[s][name] for s in self.slots]
            if rows is None:
                self._update(param, grads[name], slots, steps)
                continue
            p_r, slots_r = param.index_select(0, rows), [s.index_select(0, rows) for s in slots]
            self._update(p_r, grads[name], slots_r, steps)
            param.index_copy_(0, rows, p_r)
            for live, updated in zip(slots, slots_r, strict=False):
                live.index_copy_(0, rows, updated)

    def _update(self, param: torch.Tensor, grad: torch.Tensor, slots: list[torch.Tensor], steps: torch.Tensor) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"steps": self.steps.cpu().clone(), **{s: {k: v.cpu() for k, v in t.items()} for s, t in self.state.items()}}

    def load_state_dict(self, saved: dict) -> None:
        self.steps.copy_(saved["steps"].to(self.steps.device))
        for slot, tensors in self.state.items():
            for k, v in saved[slot].items():
                tensors[k].copy_(v.to(tensors[k].device))


class StackedAdadelta(StackedOptimizer):
    """``torch.optim.Adadelta`` (rho 0.9, eps 1e-6; lr 1.0 unless configured)."""

    slots = ("square_avg", "acc_delta")

    def _update(self, param, grad, slots, steps) -> None:
        square_avg, acc_delta = slots
        square_avg.mul_(ADADELTA_RHO).addcmul_(grad, grad, value=1 - ADADELTA_RHO)
        std = square_avg.add(ADADELTA_EPS).sqrt_()
        delta = acc_delta.add(ADADELTA_EPS).sqrt_()
        delta.div_(std).mul_(grad)
        acc_delta.mul_(ADADELTA_RHO).addcmul_(delta, delta, value=1 - ADADELTA_RHO)
        param.add_(delta, alpha=-self.lr)


class StackedAdam(StackedOptimizer):
    """``torch.optim.Adam`` (betas 0.9/0.999, eps 1e-8; lr 1e-3 unless configured), bias-corrected per model."""

    slots = ("exp_avg", "exp_avg_sq")

    def _update(self, param, grad, slots, steps) -> None:
        exp_avg, exp_avg_sq = slots
        exp_avg.lerp_(grad, 1 - ADAM_BETA1)
        exp_avg_sq.mul_(ADAM_BETA2).addcmul_(grad, grad, value=1 - ADAM_BETA2)
        shape = (-1,) + (1,) * (param.dim() - 1)
        step_size = (self.lr / (1 - ADAM_BETA1 ** steps)).to(param.device, param.dtype).view(shape)
        bc2_sqrt = ((1 - ADAM_BETA2 ** steps) ** 0.5).to(param.device, param.dtype).view(shape)
        denom = (exp_avg_sq.sqrt() / bc2_sqrt).add_(ADAM_EPS)
        param.sub_(exp_avg / denom * step_size)


def stacked_optimizer(params: dict[str, torch.Tensor], name: str, configured_lr: float | None) -> StackedOptimizer:
    cls = StackedAdam if name == "adam" else StackedAdadelta
    return cls(params, learning_rate(name, configured_lr))
