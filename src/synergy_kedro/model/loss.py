"""RMSE over observed targets only.

Missing targets (SMAP revisit gaps, streamflow outages) are masked, never filled: a filled value
would teach the model the filler. A batch with no observation contributes no gradient.
"""

from __future__ import annotations

import torch


def masked_rmse(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """sqrt(mean((p − y)²)) over the elements where ``target`` is finite; NaN when none are."""
    mask = torch.isfinite(target)
    if not bool(mask.any()):
        return torch.tensor(float("nan"), device=prediction.device)
    diff = prediction[mask] - target[mask]
    return torch.sqrt(torch.mean(diff * diff))
