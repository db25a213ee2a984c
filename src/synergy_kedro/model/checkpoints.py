"""Training checkpoints: resume a killed run where it stopped, with the same final weights.

A checkpoint holds everything the next epoch depends on: weights, the optimizer's running averages,
the batch sampler's numpy state, torch's RNG (dropout), the epoch and the history so far. It is
only reused when its *fingerprint* (training settings except ``epochs``, data shape and a data
checksum) matches, so changed data or settings never resume a stale run. The last one is kept
after training: a rerun with the same data and settings reuses the finished model without
training, raising ``epochs`` continues it, and a checkpoint with more epochs than asked is
ignored. Files are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from synergy_kedro.core.atomic import write_atomically
from synergy_kedro.core.training_config import NOT_IN_FINGERPRINT

log = logging.getLogger(__name__)


class CheckpointStore:
    """One model's checkpoint file (the catalog's ``<namespace>.checkpoint`` loads one)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def load(self, fingerprint: str, epochs: int | None = None) -> dict[str, Any] | None:
        """The saved state if it was made with the same data and settings and at most ``epochs`` epochs."""
        if not self.path.exists():
            return None
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=False)
        except Exception as exc:  # noqa: BLE001 - any unreadable file means the same: start over, keep the file
            aside = self.path.with_name(self.path.name + ".corrupt")
            os.replace(self.path, aside)
            log.warning("Checkpoint %s cannot be read (%s: %s); moved it to %s and training this model from the "
                        "start.", self.path, type(exc).__name__, str(exc)[:200], aside)
            return None
        if not isinstance(state, dict) or state.get("fingerprint") != fingerprint:
            log.info("Ignoring checkpoint %s: it was made with other data or settings.", self.path)
            return None
        if epochs is not None and state["epoch"] > epochs:
            log.info("Ignoring checkpoint %s: it has trained %d epochs, more than the %d asked.", self.path,
                     state["epoch"], epochs)
            return None
        if epochs is not None and state["epoch"] == epochs:
            log.info("Reusing the finished model of %s (same data and settings, %d epochs).", self.path, epochs)
        else:
            log.info("Resuming from %s after epoch %d.", self.path, state["epoch"])
        return state

    def save(self, state: dict[str, Any]) -> None:
        write_atomically(self.path, lambda tmp: torch.save(state, tmp))

    def part(self, index: int) -> CheckpointStore:
        """A sibling file for part ``index`` of a job (a grouped run's passes): ``checkpoint.pass1.pt``."""
        return CheckpointStore(self.path.with_name(f"{self.path.stem}.pass{index}{self.path.suffix}"))

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def __repr__(self) -> str:
        return f"CheckpointStore({str(self.path)!r})"


def fingerprint(config: Any, x: np.ndarray, y: np.ndarray) -> str:
    """Settings that shape the weights (not ``epochs``, ``eval_every`` …), shapes and a data checksum, hashed."""
    settings = {k: v for k, v in asdict(config).items() if k not in NOT_IN_FINGERPRINT}
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(str((x.shape, y.shape)).encode())
    digest.update(np.ascontiguousarray(x).tobytes()[:: max(1, x.nbytes // 4_000_000)])
    digest.update(np.nan_to_num(np.ascontiguousarray(y), nan=-9e9).tobytes()[:: max(1, y.nbytes // 4_000_000)])
    return digest.hexdigest()
