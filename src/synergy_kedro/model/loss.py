"""RMSE over observed targets only.

Missing targets (SMAP revisit gaps, streamflow outages) are masked, never filled: a filled value
would teach the model the filler. A batch with no observation contributes no gradient.

Written with ``where`` and sums rather than boolean indexing so it never asks the GPU for a
data-dependent shape: on CUDA the training step then runs without a host synchronisation.
"""

from __future__ import annotations

import torch


def masked_rmse(prediction: torch.Tensor, target: torch.Tensor, dims: tuple[int, ...] | None = None) -> torch.Tensor:
    """sqrt(mean((p − y)²)) over the elements where ``target`` is finite; NaN when none are (0/0).

    ``dims``: reduce over these dimensions only, e.g. ``(1, 2)`` for one loss per model of a grouped
    (model, time, batch) prediction; ``None``: one loss over all elements.
    """
    observed = torch.isfinite(target)
    diff = torch.where(observed, prediction - torch.where(observed, target, 0.0), 0.0)
    if dims is None:
        return ((diff * diff).sum() / observed.sum()).sqrt()
    return ((diff * diff).sum(dim=dims) / observed.sum(dim=dims)).sqrt()
