"""Random (site, window) mini-batches gathered from in-memory arrays.

All training data sits in one (site, time, feature) tensor; a batch is a vectorised gather of
``batch_size`` random sites × ``window`` consecutive days. No per-sample Python, no DataLoader:
on 2 CPU cores the gather costs far less than the LSTM step.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def iterations_per_epoch(n_sites: int, n_time: int, window: int, batch_size: int, coverage: float = 0.99) -> int:
    """hydroDL's epoch: enough random batches that each (site, day) is drawn with probability ``coverage``.

    With p = batch·window / (sites·days) the chance one draw covers a given day,
    n = log(1 − coverage) / log(1 − p), at least 1.
    """
    p = min(batch_size * window / max(n_sites * n_time, 1), 0.999999)
    return max(1, math.ceil(math.log(1 - coverage) / math.log(1 - p)))


def batches_per_epoch(n_sites: int, n_time: int, window: int, batch_size: int, epochs: int,
                      fixed: int | None = None, min_total: int | None = None) -> int:
    """The batches of one epoch: ``fixed`` if given, else hydroDL's rule; at least ``min_total / epochs``.

    Why the floor: the rule gives a region smaller than one batch (sites·days < batch·window) a
    single batch per epoch. Over the paper's 500 epochs that is 500 updates; over a CPU budget of
    10 epochs it is 10, so a small region's model would lose to the global one for lack of training
    rather than of data. ``min_total`` (``training.min_iterations``) gives every model that many
    updates in all; null keeps the paper's rule unchanged.
    """
    n_iter = fixed or iterations_per_epoch(n_sites, n_time, window, batch_size)
    if min_total:
        n_iter = max(n_iter, math.ceil(min_total / max(epochs, 1)))
    return n_iter


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
