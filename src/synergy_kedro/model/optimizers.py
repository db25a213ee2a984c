"""The optimizer a model trains with: AdaDelta (the paper's) or Adam (our addition).

The paper trains with AdaDelta at torch's defaults (lr 1.0, rho 0.9, eps 1e-6), as hydroDL does.
Adam is offered because on a CPU budget AdaDelta's first few thousand updates learn slowly
(issue 15 measures both); it is not the authors' choice and a report says which one ran.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

OPTIMIZERS = ("adadelta", "adam")
#: torch's default learning rates, used when ``training.learning_rate`` is null.
DEFAULT_LEARNING_RATE = {"adadelta": 1.0, "adam": 1e-3}


def learning_rate(name: str, configured: float | None) -> float:
    return float(configured) if configured is not None else DEFAULT_LEARNING_RATE[name]


def make_optimizer(parameters: Iterable[torch.Tensor], name: str, configured_lr: float | None) -> torch.optim.Optimizer:
    """torch's own implementation, other settings at torch's defaults (the grouped engine mirrors them)."""
    lr = learning_rate(name, configured_lr)
    if name == "adam":
        return torch.optim.Adam(parameters, lr=lr)
    return torch.optim.Adadelta(parameters, lr=lr)
