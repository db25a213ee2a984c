"""Random (site, window) mini-batches gathered from in-memory arrays, and hydroDL's epoch rule.

All training data sits in one (site, time, feature) tensor; a batch is a vectorised gather of
``batch_size`` random sites × ``window`` consecutive days. No per-sample Python, no DataLoader:
on 2 CPU cores the gather costs far less than the LSTM step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class EpochPlan:
    """How one model is trained each epoch: its batch (after the cap) and its number of updates."""

    batch_size: int
    iterations: int


def effective_batch(batch_size: int, n_sites: int) -> int:
    """hydroDL's cap (``train.py``: ``if batchSize >= ngrid: batchSize = ngrid``): no more windows per batch than sites.

    It matters for the epoch rule below: with the cap, a region smaller than one batch draws each of
    its site-days with probability window/days per batch instead of ~1, and so gets tens of updates
    per epoch (44 for 10 years at window 365) instead of one.
    """
    return max(1, min(int(batch_size), int(n_sites)))


def iterations_per_epoch(n_sites: int, n_time: int, window: int, batch_size: int, coverage: float = 0.99) -> int:
    """hydroDL's epoch: enough random batches that each (site, day) is drawn with probability ``coverage``.

    With b = min(batch, sites) and p = b·window / (sites·days) the chance one draw covers a given
    day, n = ⌈log(1 − coverage) / log(1 − p)⌉, at least 1. (hydroDL computes the same with
    ``nt`` the training days; p ≥ 1, a window as long as the series, gives 1 here where hydroDL
    would divide by log 0.)
    """
    batch = effective_batch(batch_size, n_sites)
    p = min(batch * window / max(n_sites * n_time, 1), 0.999999)
    return max(1, math.ceil(math.log(1 - coverage) / math.log(1 - p)))


def epoch_plan(n_sites: int, n_time: int, window: int, batch_size: int, epochs: int,
               fixed: int | None = None, min_total: int | None = None) -> EpochPlan:
    """The batch and batches of one epoch: ``fixed`` if given, else hydroDL's rule; at least ``min_total / epochs``.

    ``min_total`` (``training.min_iterations``, default null) is an optional floor on a model's
    updates over all epochs, for deliberately short budgets; with hydroDL's batch cap no
    environment needs it (a small region already gets as many updates per epoch as a large one).
    """
    n_iter = fixed or iterations_per_epoch(n_sites, n_time, window, batch_size)
    if min_total:
        n_iter = max(n_iter, math.ceil(min_total / max(epochs, 1)))
    return EpochPlan(effective_batch(batch_size, n_sites), int(n_iter))


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
