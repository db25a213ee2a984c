"""Benchmark: the training step with hydroDL's DropConnect (``weights``) vs dropout on the LSTM output (``outputs``).

Times :func:`~synergy_kedro.model.training.train_lstm` steps (sampling, gather, HydroLSTM, masked
RMSE, backward, AdaDelta) at the paper's two shapes, soil moisture (window 30, batch 100) and
streamflow (window 365, batch 500), for both ``training.dropout_method`` values, and the grouped
engine (``train_grouped``) with 6 models of different site counts (batches capped as hydroDL:
padded to the largest) against the same 6 trained one by one. Runs are interleaved (A B A B …) and
reduced to medians, so other load hits both sides alike; the load average is printed.

    python benchmarks/dropout_step_time.py                 # hidden 64, CPU: a few minutes
    python benchmarks/dropout_step_time.py --hidden 256 --device cuda
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace

import numpy as np
import torch

from paper_training import paper_config  # benchmarks/ is the script's folder, first on sys.path
from synergy_kedro.model.grouped import train_grouped
from synergy_kedro.model.training import TrainingConfig, train_lstm

SHAPES = {"soil_moisture": (30, 100, 366), "streamflow": (365, 500, 3652)}  # window, batch, training days


def _data(n_sites: int, n_time: int, seed: int, n_features: int = 13) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_sites, n_time, n_features)).astype("float32")
    y = (0.5 * x[..., 0] + 0.2 * x[..., 1]).astype("float32")
    return x, y


def _seconds_per_step(x: np.ndarray, y: np.ndarray, config: TrainingConfig) -> float:
    started = time.perf_counter()
    train_lstm(x, y, config)
    return (time.perf_counter() - started) / (config.epochs * config.iterations_per_epoch)


def step_times(hidden: int, device: str, repeats: int) -> None:
    print("| shape | hidden | outputs: ms / step | weights (DropConnect): ms / step | weights / outputs |")
    print("|---|---|---|---|---|")
    for name, (window, batch, n_time) in SHAPES.items():
        x, y = _data(batch * 2, n_time if name == "soil_moisture" else 1200, seed=0)
        steps = 20 if name == "soil_moisture" else 3
        base = paper_config(hidden_size=hidden, window=window, batch_size=batch, epochs=1, iterations_per_epoch=steps,
                              device=device, checkpoint_every=1)
        _seconds_per_step(x, y, base)  # warm-up
        times = {"outputs": [], "weights": []}
        for _ in range(repeats):
            for method in times:
                times[method].append(_seconds_per_step(x, y, replace(base, dropout_method=method)))
        out, wts = (statistics.median(times[m]) * 1000 for m in ("outputs", "weights"))
        print(f"| {name} (window {window}, batch {batch}) | {hidden} | {out:.1f} | {wts:.1f} | {wts / out:.2f} |")


def grouped_vs_alone(hidden: int, device: str, epochs: int) -> None:
    """Six soil-moisture regions of 5–120 pixels: batches 5…100 after the cap, padded to 100 when grouped."""
    sizes = [5, 12, 25, 40, 60, 120]
    datasets = [_data(n, 366, seed=n) for n in sizes]
    config = paper_config(hidden_size=hidden, window=30, batch_size=100, epochs=epochs, device=device,
                            checkpoint_every=epochs)
    started = time.perf_counter()
    alone = [train_lstm(x, y, config) for x, y in datasets]
    t_alone = time.perf_counter() - started
    started = time.perf_counter()
    grouped = train_grouped(datasets, config)
    t_grouped = time.perf_counter() - started
    diff = max(float((a[0][k] - g[0][k]).abs().max()) for a, g in zip(alone, grouped, strict=False) for k in a[0])
    plans = [(int(h["batch_size"].iloc[0]), int(h["iterations"].iloc[0])) for _, h in alone]
    print(f"\n6 models (sites {sizes}; batch, updates per epoch: {plans}), hidden {hidden}, {epochs} epochs: "
          f"one by one {t_alone:.1f} s, grouped {t_grouped:.1f} s ({t_alone / t_grouped:.2f}×); "
          f"largest weight difference {diff:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--grouped-epochs", type=int, default=2)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}, "
          f"load average {os.getloadavg()[0]:.2f}\n")
    step_times(args.hidden, args.device, args.repeats)
    grouped_vs_alone(args.hidden, args.device, args.grouped_epochs)
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
