"""The one epoch loop of both training engines: resume, progress, history, learning curves, checkpoints.

An engine (one model: :mod:`.training`; many models in one pass: :mod:`.grouped`) supplies only
what differs between them: how one epoch's steps run, what its checkpoint holds and how that is
restored, and each model's current weights. Everything a user relies on (a killed run resumes to
the same weights, the last checkpoint lets a rerun reuse the model, the history's columns, when
the test period is scored, when ``on_epoch_end`` is called) is written here once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import torch
from tqdm.auto import tqdm

from .checkpoints import CheckpointStore
from .host_memory import keep_freed_memory

#: Scores a model's weights on held-out data → ``{"test_median_RMSE": …}`` (learning curves).
Evaluator = Callable[[dict[str, torch.Tensor]], dict[str, float]]


class Engine(Protocol):
    """What a training engine gives the loop."""

    #: One per model, in the order of the histories.
    labels: Sequence[str]
    #: Progress-bar ticks per epoch (steps of the longest model).
    steps_per_epoch: int

    def run_epoch(self, epoch: int, tick: Callable[[], None]) -> list[dict[str, Any]]:
        """Train one epoch; per model ``{"loss", "batch_size", "iterations"}``. Raises on divergence."""

    def snapshot(self) -> dict[str, Any]:
        """The engine's part of a checkpoint (weights, optimizer, random streams)."""

    def restore(self, state: dict[str, Any]) -> None:
        """Set the engine to a checkpoint's state (:meth:`snapshot`'s keys)."""

    def weights(self, g: int) -> dict[str, torch.Tensor]:
        """Model g's weights, on the host (for evaluation)."""


def evaluation_due(eval_every: int | None, epoch: int, epochs: int) -> bool:
    return bool(eval_every) and (epoch % eval_every == 0 or epoch == epochs)


def run_evaluation(evaluate: Evaluator, state: dict[str, torch.Tensor]) -> dict[str, float]:
    """``evaluate(state)`` without touching the training's random streams (building a model draws from them)."""
    with torch.random.fork_rng(devices=[]):
        return {k: float(v) for k, v in evaluate(state).items()}


def run_epochs(engine: Engine, epochs: int, *, checkpoints: CheckpointStore | None = None, fingerprint: str = "",
               checkpoint_every: int = 1, eval_every: int | None = None,
               evaluators: Sequence[Evaluator | None] | None = None,
               on_epoch_end: Callable[[int], None] | None = None, desc: str = "train") -> tuple[list[list[dict]], int]:
    """Train ``engine`` to ``epochs``, resuming from ``checkpoints``; the per-model histories and the first epoch run.

    A first epoch above ``epochs`` means the checkpoint held a finished model: nothing was trained.
    """
    keep_freed_memory()  # a step's large buffers are reused, not page-faulted in again (host_memory.py)
    histories: list[list[dict]] = [[] for _ in engine.labels]
    first_epoch = 1
    saved = checkpoints.load(fingerprint, epochs) if checkpoints else None
    if saved:
        engine.restore(saved)
        # "history": the single-model checkpoints written before the loop was shared
        histories = [list(h) for h in saved.get("histories") or [saved["history"]]]
        first_epoch = int(saved["epoch"]) + 1
    with tqdm(total=epochs * engine.steps_per_epoch, initial=(first_epoch - 1) * engine.steps_per_epoch, desc=desc,
              unit="step", leave=False, mininterval=2, disable=None) as bar:
        for epoch in range(first_epoch, epochs + 1):
            started = time.perf_counter()
            rows = engine.run_epoch(epoch, lambda: bar.update(1))
            seconds = time.perf_counter() - started
            for g, row in enumerate(rows):
                histories[g].append({"epoch": epoch, **row, "seconds": seconds})
                if evaluators and evaluators[g] and evaluation_due(eval_every, epoch, epochs):
                    histories[g][-1].update(run_evaluation(evaluators[g], engine.weights(g)))
            bar.set_postfix(epoch=epoch, loss=f"{rows[0]['loss']:.4f}" if len(rows) == 1 else None)
            if checkpoints and (epoch % checkpoint_every == 0 or epoch == epochs):
                checkpoints.save({"fingerprint": fingerprint, "epoch": epoch, **engine.snapshot(),
                                  "histories": histories})
            if on_epoch_end:
                on_epoch_end(epoch)
    return histories, first_epoch
