"""Random (site, window) mini-batches gathered from in-memory arrays, and the two epoch rules.

All training data sits in one (site, time, feature) tensor; a batch is a vectorised gather of
``batch_size`` random sites × ``window`` consecutive days. No per-sample Python, no DataLoader:
on 2 CPU cores the gather costs far less than the LSTM step.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import torch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpochPlan:
    """How one model is trained each epoch: its batch (after any cap) and its number of updates."""

    batch_size: int
    iterations: int


#: ``paper``: the code that made the paper's figures (geolearn 2019–2020): no batch cap. ``capped``: hydroDL since 2021.
EPOCH_RULES = ("paper", "capped")


def effective_batch(batch_size: int, n_sites: int, rule: str = "capped") -> int:
    """The batch a model trains with: hydroDL's cap (``if batchSize >= ngrid: batchSize = ngrid``) or none.

    The cap decides a small region's budget: with it, a region smaller than one batch draws each
    site-day with probability window/days per batch and gets tens of updates per epoch; without it
    (the paper's code) it gets one to a few, while the global model gets hundreds.
    """
    if rule == "paper":
        return max(1, int(batch_size))
    return max(1, min(int(batch_size), int(n_sites)))


def covering_fraction(n_sites: int, n_time: int, window: int, batch_size: int, rule: str = "capped") -> float:
    """p = b·ρ / (N·T): the chance that one batch draws a given (site, day), before the 99 % rule."""
    return effective_batch(batch_size, n_sites, rule) * window / max(n_sites * n_time, 1)


def iterations_per_epoch(n_sites: int, n_time: int, window: int, batch_size: int, coverage: float = 0.99,
                         rule: str = "capped") -> int:
    """Enough random batches that each (site, day) is drawn with probability ``coverage``: ⌈log(1 − c) / log(1 − p)⌉.

    Where p ≥ 1 (one batch covers the data: b·ρ ≥ N·T) this gives 1 update. That is the paper's
    streamflow code (``trainBasin``: ``if nbatch*rho > ns*nt: nIterEp = 1``); its soil-moisture code
    takes the logarithm of a negative number there and stops, so 1 is our choice for it
    (:func:`epoch_plan` warns).
    """
    p = covering_fraction(n_sites, n_time, window, batch_size, rule)
    if p >= 1:
        return 1
    return max(1, math.ceil(math.log(1 - coverage) / math.log(1 - p)))


def epoch_plan(n_sites: int, n_time: int, window: int, batch_size: int, epochs: int,
               fixed: int | None = None, min_total: int | None = None, rule: str = "capped",
               label: str = "model") -> EpochPlan:
    """The batch and batches of one epoch: ``fixed`` if given, else the ``rule``'s; at least ``min_total / epochs``.

    ``min_total`` (``training.min_iterations``, default null) is an optional floor on a model's
    updates over all epochs, for deliberately short budgets.
    """
    if rule not in EPOCH_RULES:
        raise ValueError(f"epoch rule {rule!r} is not one of {', '.join(EPOCH_RULES)}")
    if not fixed and rule == "paper" and covering_fraction(n_sites, n_time, window, batch_size, rule) >= 1:
        log.warning("%s: batch %d × window %d covers its %d sites × %d days (b·ρ ≥ N·T): 1 update per epoch "
                    "(the paper's streamflow code does the same; its soil-moisture code stops here)", label,
                    batch_size, window, n_sites, n_time)
    n_iter = fixed or iterations_per_epoch(n_sites, n_time, window, batch_size, rule=rule)
    if min_total:
        n_iter = max(n_iter, math.ceil(min_total / max(epochs, 1)))
    return EpochPlan(effective_batch(batch_size, n_sites, rule), int(n_iter))


def random_windows(
    rng: np.random.Generator, n_sites: int, n_time: int, window: int, batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """Site indices and window start indices of one batch (uniform, with replacement)."""
    sites = rng.integers(0, n_sites, size=batch_size)
    starts = rng.integers(0, n_time - window + 1, size=batch_size)
    return sites, starts


def gather_windows(
    x: torch.Tensor, y: torch.Tensor, sites: np.ndarray, starts: np.ndarray, window: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """x (site, time, feat), y (site, time) → (batch, window, feat), (batch, window)."""
    site_idx = torch.as_tensor(sites, device=x.device)[:, None]
    time_idx = torch.as_tensor(starts, device=x.device)[:, None] + torch.arange(window, device=x.device)[None, :]
    return x[site_idx, time_idx], y[site_idx, time_idx]
