"""Training and prediction loops for :class:`HydroLSTM`.

Deterministic on CPU for a given seed: torch and the batch sampler are seeded from it, and the
sampler draws from its own numpy Generator so nothing else in the process shifts the batches.
CUDA is used when present (``device: auto``); cuDNN's LSTM is not bit-reproducible, CPU is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import torch

from synergy_kedro.core.errors import UserError
from synergy_kedro.core.training_config import TrainingConfig

from .checkpoints import CheckpointStore, fingerprint
from .device import autocast, check_precision, configure_backends, resolve_device, to_device
from .loop import Evaluator, run_epochs
from .loss import masked_rmse
from .lstm import HydroLSTM
from .optimizers import make_optimizer
from .sampling import epoch_plan, gather_windows, random_windows

log = logging.getLogger(__name__)

__all__ = ["TrainingConfig", "TrainingDivergedError", "diverged_error", "predict_lstm", "train_lstm"]


class TrainingDivergedError(UserError, FloatingPointError):
    """The loss became NaN or infinite on observed targets."""


def diverged_error(labels: Sequence[str], loss: float | str, epoch: int) -> TrainingDivergedError:
    """The one message for a loss that stopped being finite, for one model or several trained together."""
    return TrainingDivergedError(
        f"Training {', '.join(labels)} diverged: the loss is {loss} at epoch {epoch}. Check the inputs for extreme "
        "values (features.transforms, ingestion.plausibility.bounds) or lower training.hidden_size.")


def train_lstm(
    x: np.ndarray, y: np.ndarray, config: TrainingConfig, label: str = "model",
    checkpoints: CheckpointStore | None = None, on_epoch_end: Callable[[int], None] | None = None,
    evaluate: Evaluator | None = None,
) -> tuple[dict[str, torch.Tensor], pd.DataFrame]:
    """Fit a HydroLSTM on x (site, time, feature) → y (site, time, NaN = unobserved).

    Returns the state dict and a per-epoch history (epoch, loss = mean batch RMSE in normalised
    units, batch_size = the batch after hydroDL's cap at the site count, iterations, seconds).
    With ``checkpoints`` the state is saved every ``config.checkpoint_every`` epochs and a rerun
    resumes from it, reaching the same weights as an uninterrupted run on CPU; the last checkpoint
    stays, so a rerun with the same data and settings reuses the finished model. With ``evaluate``
    and ``config.eval_every`` = k, every k-th epoch (and the last) adds ``evaluate``'s scores of the
    current weights to its history row (learning curves); the training itself is unchanged by it.
    The epochs themselves are :func:`.loop.run_epochs`'s; this module supplies the step.
    """
    engine = _SingleModel(x, y, config, label)
    (rows,), first_epoch = run_epochs(
        engine, config.epochs, checkpoints=checkpoints, fingerprint=fingerprint(config, x, y) if checkpoints else "",
        checkpoint_every=config.checkpoint_every, eval_every=config.eval_every,
        evaluators=[evaluate] if evaluate else None, on_epoch_end=on_epoch_end, desc=f"train {label}")
    log.info("Trained %s (%s procedure, epoch rule %s): %d sites, batch %d (of %d), %d epochs × %d updates, "
             "final loss %.4f", label, config.procedure, config.epoch_rule,
             x.shape[0], engine.batch, config.batch_size, config.epochs, engine.steps_per_epoch,
             rows[-1]["loss"] if rows else float("nan"))
    history = pd.DataFrame(rows)
    history.attrs["reused"] = first_epoch > config.epochs  # a finished model of an earlier run, not retrained
    return engine.weights(0), history


class _SingleModel:
    """One model's step for :func:`.loop.run_epochs`: hydroDL's random (site, window) batches."""

    def __init__(self, x: np.ndarray, y: np.ndarray, config: TrainingConfig, label: str) -> None:
        n_sites, n_time, n_features = x.shape
        self.labels, self.config = [label], config
        self.window = min(config.window, n_time)
        self.device = resolve_device(config.device)
        configure_backends(self.device, check_precision(config.precision))
        torch.manual_seed(config.seed)
        self.rng = np.random.default_rng(config.seed)
        self.model = HydroLSTM(n_features, config.hidden_size, config.dropout, config.dropout_method).to(self.device)
        self.optimizer = make_optimizer(self.model.parameters(), config.optimizer, config.learning_rate)
        self.xt, self.yt = to_device(x, self.device), to_device(y, self.device)
        plan = epoch_plan(n_sites, n_time, self.window, config.batch_size, config.epochs,
                          config.iterations_per_epoch, config.min_iterations, rule=config.epoch_rule, label=label)
        self.steps_per_epoch, self.batch = plan.iterations, plan.batch_size
        self.n_sites, self.n_time = n_sites, n_time
        self.observed = np.isfinite(y)  # host copy: batches without observations are skipped without the device
        self.offsets = np.arange(self.window)
        self.check_each_step = self.device.type != "cuda"  # on CUDA a per-step check would stall the queue
        self.model.train()

    def run_epoch(self, epoch: int, tick: Callable[[], None]) -> list[dict]:
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        n_batches = 0
        # The epoch's batches are drawn up front (the same stream as one draw per step) and sent to
        # the device in one copy, so the step never waits on a host→device transfer.
        draws = [random_windows(self.rng, self.n_sites, self.n_time, self.window, self.batch)
                 for _ in range(self.steps_per_epoch)]
        sites_np, starts_np = (np.stack(d) for d in zip(*draws, strict=False))
        sites_t, starts_t = to_device(sites_np, self.device, torch.int64), to_device(starts_np, self.device, torch.int64)
        for i in range(self.steps_per_epoch):
            tick()
            if not self.observed[sites_np[i, :, None], starts_np[i, :, None] + self.offsets].any():
                continue  # no observation in this batch: nothing to learn from
            xb, yb = gather_windows(self.xt, self.yt, sites_t[i], starts_t[i], self.window)
            with autocast(self.device, self.config.precision):
                prediction = self.model(xb)
            loss = masked_rmse(prediction.float(), yb)
            if self.check_each_step and not bool(torch.isfinite(loss)):
                raise diverged_error(self.labels[:1], loss.item(), epoch)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            loss_sum += loss.detach()
            n_batches += 1
        mean_loss = loss_sum.item() / n_batches if n_batches else float("nan")
        if n_batches and not np.isfinite(mean_loss):
            raise diverged_error(self.labels[:1], mean_loss, epoch)
        return [{"loss": mean_loss, "batch_size": self.batch, "iterations": self.steps_per_epoch}]

    def snapshot(self) -> dict:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "sampler": self.rng.bit_generator.state, "torch_rng": torch.get_rng_state()}

    def restore(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.rng.bit_generator.state = state["sampler"]
        torch.set_rng_state(state["torch_rng"])

    def weights(self, g: int) -> dict[str, torch.Tensor]:
        return {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}


def predict_lstm(
    state_dict: dict[str, torch.Tensor], x: np.ndarray, hidden_size: int, device: str = "auto", sites_per_batch: int = 256
) -> np.ndarray:
    """Run the network over whole series (site, time, feature) → (site, time), in chunks of sites."""
    dev = resolve_device(device)
    configure_backends(dev)
    model = HydroLSTM(x.shape[-1], hidden_size, dropout=0.0).to(dev)
    model.load_state_dict(state_dict)
    model.eval()
    out = np.empty(x.shape[:2], dtype=np.float32)
    with torch.no_grad():
        for i in range(0, x.shape[0], sites_per_batch):
            xb = torch.as_tensor(x[i : i + sites_per_batch], dtype=torch.float32, device=dev)
            out[i : i + sites_per_batch] = model(xb).cpu().numpy()
    return out
