"""Many HydroLSTMs trained at once, as one stacked model (``training.grouped: true``).

Trained one by one, each small model pays the framework's fixed cost per operation (on a GPU a
kernel launch each) while using a fraction of the hardware; stacked, G models take one step
together (:mod:`.grouped_lstm`). Every model gets what :func:`~synergy_kedro.model.training.train_lstm`
would give it alone, within float rounding: its own initialisation, batches, dropout masks,
updates and epoch plan. It pays on a GPU and not on a CPU, where ``nn.LSTM``'s fused kernel is
faster (``benchmarks/training_speed.py``). Why each piece is as it is: docs/grouped_training.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.func import stack_module_state

from .checkpoints import CheckpointStore, fingerprint
from .device import configure_backends, matmul_dtype, resolve_device, to_device
from .dropout import keep_mask
from .grouped_lstm import PARAMETER_NAMES, grouped_forward
from .loop import Evaluator, run_epochs
from .loss import masked_rmse
from .lstm import HydroLSTM
from .sampling import epoch_plan, random_windows
from .stacked_optimizers import stacked_optimizer
from .training import TrainingConfig, diverged_error

log = logging.getLogger(__name__)


@dataclass
class _Stream:
    """One model's own randomness and sizes."""

    rng: np.random.Generator
    dropout: torch.Generator | None
    n_sites: int
    n_time: int
    offset: int
    n_iter: int
    batch: int


def _init_models(n_features: int, config: TrainingConfig, seeds: Sequence[int], device: torch.device
                 ) -> tuple[dict[str, torch.Tensor], list[torch.Generator | None]]:
    """Stacked initial parameters, each model initialised exactly as ``train_lstm`` does; dropout generators."""
    models, generators = [], []
    for seed in seeds:
        torch.manual_seed(seed)
        models.append(HydroLSTM(n_features, config.hidden_size, config.dropout, config.dropout_method))
        if 0 < config.dropout < 1:
            if device.type == "cpu":
                gen = torch.Generator()
                gen.set_state(torch.get_rng_state())  # where train_lstm's nn.Dropout draws next
            else:
                gen = torch.Generator(device=device)
                gen.manual_seed(int(seed))
            generators.append(gen)
        else:
            generators.append(None)
    params, _ = stack_module_state(models)
    missing = set(PARAMETER_NAMES) ^ set(params)
    if missing:
        raise RuntimeError(f"HydroLSTM's parameters changed ({sorted(missing)}); update grouped.PARAMETER_NAMES.")
    return {k: params[k].detach().to(device).contiguous() for k in PARAMETER_NAMES}, generators


def train_grouped(
    datasets: Sequence[tuple[np.ndarray, np.ndarray]],
    config: TrainingConfig,
    labels: Sequence[str] | None = None,
    seeds: Sequence[int] | None = None,
    precision: str | None = None,
    max_models_per_pass: int | None = None,
    check_every_step: bool | None = None,
    checkpoints: CheckpointStore | None = None,
    on_epoch_end: Callable[[int], None] | None = None,
    evaluators: Sequence[Evaluator | None] | None = None,
) -> list[tuple[dict[str, torch.Tensor], pd.DataFrame]]:
    """Fit one HydroLSTM per ``(x, y)`` of ``datasets`` (x (site, time, feature), y (site, time)), all at once.

    Every model gets what :func:`~synergy_kedro.model.training.train_lstm` with ``config`` (and
    ``seeds[g]`` instead of ``config.seed`` when given) would give it: a state dict and a history
    (epoch, loss, iterations, seconds), in the order of ``datasets``. The models must share the
    number of features and the effective window (``min(window, n_time)``); site counts and series
    lengths may differ. ``precision`` (``fp32``/``bf16``; default ``config.precision`` if the
    config has one, else fp32) sets the dtype of the matrix products.

    Memory grows with the number of models (each keeps its activations for back-propagation, as
    alone); ``max_models_per_pass`` trains larger groups in passes of at most that many models
    (the results do not depend on it). ``check_every_step`` (default: on CPU only) checks for a
    diverged loss after every step instead of once per epoch, at the cost of a device sync per step.
    ``checkpoints`` makes the run resumable (one file per pass, see the module docstring);
    ``on_epoch_end(epoch)`` is called after each epoch's checkpoint. ``evaluators[g]`` (with
    ``config.eval_every``) scores model g's weights on held-out data as ``train_lstm``'s ``evaluate``.
    """
    n_models = len(datasets)
    if n_models == 0:
        return []
    labels = list(labels) if labels is not None else [f"model_{g}" for g in range(n_models)]
    seeds = [int(s) for s in seeds] if seeds is not None else [int(config.seed)] * n_models
    if not len(labels) == len(seeds) == n_models:
        raise ValueError(f"{n_models} datasets but {len(labels)} labels and {len(seeds)} seeds.")
    if max_models_per_pass and n_models > max_models_per_pass:
        k = int(max_models_per_pass)
        return [result for start in range(0, n_models, k)
                for result in train_grouped(datasets[start:start + k], config, labels[start:start + k],
                                            seeds[start:start + k], precision, None, check_every_step,
                                            checkpoints.part(start // k) if checkpoints else None, on_epoch_end,
                                            evaluators[start:start + k] if evaluators else None)]
    features = {x.shape[2] for x, _ in datasets}
    windows = {min(config.window, x.shape[1]) for x, _ in datasets}
    if len(features) != 1 or len(windows) != 1:
        raise ValueError(f"Grouped models must share the number of features ({sorted(features)}) and the window "
                         f"({sorted(windows)}); train the others on their own.")
    for (x, y), label in zip(datasets, labels, strict=False):
        if x.shape[0] == 0 or x.shape[:2] != y.shape:
            raise ValueError(f"{label}: x {x.shape} and y {y.shape} must be (site, time, feature) and (site, time), "
                             "with at least one site.")
    n_features, window = features.pop(), windows.pop()
    device = resolve_device(config.device)
    precision = precision or getattr(config, "precision", "fp32")
    configure_backends(device, precision)

    engine = _Group(datasets, config, labels, seeds, n_features, window, device, precision, check_every_step)
    key = _group_fingerprint(config, datasets, seeds, precision) if checkpoints else ""
    histories, first_epoch = run_epochs(
        engine, config.epochs, checkpoints=checkpoints, fingerprint=key, checkpoint_every=config.checkpoint_every,
        eval_every=config.eval_every, evaluators=evaluators, on_epoch_end=on_epoch_end,
        desc=f"train {n_models} models")
    results = []
    for g, (label, s) in enumerate(zip(labels, engine.streams, strict=False)):
        log.info("Trained %s (grouped, %d models): %d sites, batch %d (of %d), %d epochs × %d updates, final loss %.4f",
                 label, n_models, s.n_sites, s.batch, config.batch_size, config.epochs, s.n_iter,
                 histories[g][-1]["loss"])
        history = pd.DataFrame(histories[g])
        history.attrs["reused"] = first_epoch > config.epochs
        results.append((engine.weights(g), history))
    return results


class _Group:
    """The grouped step for :func:`.loop.run_epochs`: every model's own batch, masks and update, in one pass."""

    def __init__(self, datasets: Sequence[tuple[np.ndarray, np.ndarray]], config: TrainingConfig,
                 labels: Sequence[str], seeds: Sequence[int], n_features: int, window: int, device: torch.device,
                 precision: str, check_every_step: bool | None) -> None:
        self.labels, self.config, self.window, self.device = list(labels), config, window, device
        self.mm_dtype = matmul_dtype(precision)
        self.params, generators = _init_models(n_features, config, seeds, device)
        self.optimizer = stacked_optimizer(self.params, config.optimizer, config.learning_rate)
        self.x_all, self.y_all, self.observed_all, self.streams = _stack_data(datasets, config, seeds, generators,
                                                                              window, device)
        self.steps = torch.arange(window, device=device)[None, :, None]
        self.steps_host = np.arange(window)[None, None, :]
        self.steps_per_epoch = max(s.n_iter for s in self.streams)
        # On CUDA nothing in a step waits for the GPU: which batches hold observations is read from the
        # host copy of y, and divergence is checked once per epoch (a diverged model's later steps are
        # NaN and harmless, since the run then stops). On CPU it is checked every step, as train_lstm.
        self.check_each_step = device.type == "cpu" if check_every_step is None else check_every_step
        self.index_cache: dict[tuple[int, ...], torch.Tensor] = {}

    def _as_index(self, rows: list[int]) -> torch.Tensor:
        key = tuple(rows)
        if key not in self.index_cache:
            self.index_cache[key] = torch.as_tensor(rows, dtype=torch.long, device=self.device)
        return self.index_cache[key]

    def _diverged(self, finite: np.ndarray, rows: list[int], epoch: int) -> Exception:
        return diverged_error([self.labels[rows[k]] for k in np.flatnonzero(~finite)], "not finite", epoch)

    def run_epoch(self, epoch: int, tick: Callable[[], None]) -> list[dict]:
        n_models, streams, device, window = len(self.streams), self.streams, self.device, self.window
        loss_sum = torch.zeros(n_models, dtype=torch.float64, device=device)
        loss_count = torch.zeros(n_models, dtype=torch.int64, device=device)
        all_finite = torch.ones(n_models, dtype=torch.bool, device=device)
        for it in range(self.steps_per_epoch):
            active = [g for g, s in enumerate(streams) if it < s.n_iter]
            site_idx, start_idx, valid = _draw_batches([streams[g] for g in active], window)
            tick()
            # As train_lstm: a batch without observations is skipped before the forward pass.
            observed = (self.observed_all[site_idx[:, :, None], start_idx[:, :, None] + self.steps_host]
                        & valid[:, :, None]).any(axis=(1, 2))
            if not observed.all():
                if not observed.any():
                    continue
                kept = np.flatnonzero(observed)
                site_idx, start_idx, valid = site_idx[kept], start_idx[kept], valid[kept]
                active = [active[k] for k in kept]
            site_t = torch.as_tensor(site_idx, device=device)[:, None, :]
            time_t = torch.as_tensor(start_idx, device=device)[:, None, :] + self.steps
            xb, yb = self.x_all[site_t, time_t], self.y_all[site_t, time_t]  # (A, T, B, F), (A, T, B)
            if not valid.all():  # padding of the models with a smaller batch: no target, no loss
                yb = yb.masked_fill(~torch.as_tensor(valid, device=device)[:, None, :], float("nan"))
            masks, weight_masks = _dropout_masks([streams[g] for g in active], self.config, window,
                                                 site_idx.shape[1], device)
            idx = self._as_index(active)
            rows = None if len(active) == n_models else idx
            leaves = {k: (v if rows is None else v.index_select(0, rows)).detach().requires_grad_()
                      for k, v in self.params.items()}
            loss = masked_rmse(grouped_forward(leaves, xb, masks, self.mm_dtype, weight_masks), yb, dims=(1, 2))
            if self.check_each_step:
                finite = torch.isfinite(loss).numpy()
                if not finite.all():
                    raise self._diverged(finite, active, epoch)
            else:
                all_finite.index_copy_(0, idx, all_finite.index_select(0, idx) & torch.isfinite(loss.detach()))
            grads = torch.autograd.grad(loss.sum(), list(leaves.values()))
            self.optimizer.step(dict(zip(leaves, grads, strict=False)), rows)
            loss_sum.index_add_(0, idx, loss.detach().double())
            loss_count.index_add_(0, idx, torch.ones_like(idx))
        finite = all_finite.cpu().numpy()
        if not finite.all():
            raise self._diverged(finite, list(range(n_models)), epoch)
        sums, counts = loss_sum.cpu().numpy(), loss_count.cpu().numpy()
        return [{"loss": float(sums[g] / counts[g]) if counts[g] else float("nan"), "batch_size": s.batch,
                 "iterations": s.n_iter} for g, s in enumerate(streams)]

    def snapshot(self) -> dict:
        return {"params": {k: v.detach().cpu() for k, v in self.params.items()},
                "optimizer": self.optimizer.state_dict(),
                "samplers": [s.rng.bit_generator.state for s in self.streams],
                "dropout": [s.dropout.get_state() if s.dropout is not None else None for s in self.streams]}

    def restore(self, state: dict) -> None:
        for k, v in state["params"].items():
            self.params[k].copy_(v.to(self.params[k].device))
        self.optimizer.load_state_dict(state["optimizer"])
        for stream, sampler, dropout in zip(self.streams, state["samplers"], state["dropout"], strict=False):
            stream.rng.bit_generator.state = sampler
            if dropout is not None:
                stream.dropout.set_state(dropout)

    def weights(self, g: int) -> dict[str, torch.Tensor]:
        return _model_state(self.params, g)


def _model_state(params: dict[str, torch.Tensor], g: int) -> dict[str, torch.Tensor]:
    """Model g's weights as a HydroLSTM state dict, on the host."""
    return {k: params[k][g].detach().cpu().clone() for k in PARAMETER_NAMES}


def _draw_batches(streams: Sequence[_Stream], window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each model's batch of its own size (hydroDL's cap), padded to the largest: (A, B) sites, starts, valid.

    Padding (the chosen way to train models of different batch sizes in one pass; measured in
    benchmarks/RESULTS.md) repeats a model's first site at start 0; its columns get no target, so
    they add nothing to the loss or the gradient. Each model draws exactly what ``train_lstm`` draws.
    """
    width = max(s.batch for s in streams)
    site_idx = np.zeros((len(streams), width), dtype=np.int64)
    start_idx = np.zeros((len(streams), width), dtype=np.int64)
    valid = np.zeros((len(streams), width), dtype=bool)
    for a, s in enumerate(streams):
        sites, starts = random_windows(s.rng, s.n_sites, s.n_time, window, s.batch)
        site_idx[a] = s.offset
        site_idx[a, :s.batch], start_idx[a, :s.batch], valid[a, :s.batch] = sites + s.offset, starts, True
    return site_idx, start_idx, valid


def _dropout_masks(streams: Sequence[_Stream], config: TrainingConfig, window: int, width: int,
                   device: torch.device) -> tuple[torch.Tensor | None, tuple[torch.Tensor, torch.Tensor] | None]:
    """This step's masks, each model's from its own generator in ``HydroLSTM``'s order and shapes.

    ``weights``: two (4H, H) masks per model (w_ih, then w_hh), as HydroLSTM's DropConnect draws
    them. ``outputs``: a (batch, T, H) mask per model, padded with zeros to ``width`` and laid out
    (A, T, H, B) for the grouped recurrence.
    """
    p, hidden = config.dropout, config.hidden_size
    if p <= 0:
        return None, None
    keep = 1.0 - p
    if config.dropout_method == "weights":
        pairs = [(keep_mask((4 * hidden, hidden), keep, s.dropout, device),
                  keep_mask((4 * hidden, hidden), keep, s.dropout, device)) for s in streams]
        return None, (torch.stack([m for m, _ in pairs]), torch.stack([m for _, m in pairs]))
    masks = torch.zeros((len(streams), width, window, hidden), device=device)
    for a, s in enumerate(streams):
        masks[a, :s.batch] = keep_mask((s.batch, window, hidden), keep, s.dropout, device)
    return masks.permute(0, 2, 3, 1).contiguous(), None


def _group_fingerprint(config: TrainingConfig, datasets: Sequence[tuple[np.ndarray, np.ndarray]],
                       seeds: Sequence[int], precision: str) -> str:
    """The group's settings, seeds, precision and every model's data: a checkpoint of another group is ignored."""
    digest = hashlib.sha256(json.dumps({"seeds": [int(s) for s in seeds], "precision": precision}).encode())
    for x, y in datasets:
        digest.update(fingerprint(config, x, y).encode())
    return digest.hexdigest()


def _stack_data(datasets: Sequence[tuple[np.ndarray, np.ndarray]], config: TrainingConfig, seeds: Sequence[int],
                generators: Sequence[torch.Generator | None], window: int, device: torch.device
                ) -> tuple[torch.Tensor, torch.Tensor, np.ndarray, list[_Stream]]:
    """All models' arrays in one (Σ sites, max time, feature) tensor (time padded with NaN targets).

    Also returns where y is observed, on the host, so a step can tell which batches hold
    observations without waiting for the device.
    """
    n_time_max = max(x.shape[1] for x, _ in datasets)
    n_features = datasets[0][0].shape[2]
    total = sum(x.shape[0] for x, _ in datasets)
    x_all = np.zeros((total, n_time_max, n_features), dtype=np.float32)
    y_all = np.full((total, n_time_max), np.nan, dtype=np.float32)
    streams, offset = [], 0
    for (x, y), seed, gen in zip(datasets, seeds, generators, strict=False):
        n_sites, n_time = x.shape[:2]
        x_all[offset:offset + n_sites, :n_time] = x
        y_all[offset:offset + n_sites, :n_time] = y
        plan = epoch_plan(n_sites, n_time, window, config.batch_size, config.epochs,
                          config.iterations_per_epoch, config.min_iterations, rule=config.epoch_rule)
        streams.append(_Stream(np.random.default_rng(seed), gen, n_sites, n_time, offset, plan.iterations,
                               plan.batch_size))
        offset += n_sites
    return to_device(x_all, device), to_device(y_all, device), np.isfinite(y_all), streams
