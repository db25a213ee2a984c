"""Benchmark: the same torch CPU training in the driver process and in Dask workers.

Why it exists: on 2 cores the demo's global model trained 1.8x slower in a DaskRunner worker than
in a ParallelRunner process, both with one torch thread. The cause is the environment Dask's nanny
gives its workers (``distributed.nanny.pre-spawn-environ``): ``MALLOC_TRIM_THRESHOLD_=65536``
fixes glibc's trim threshold, which also turns off its adaptive mmap threshold, so every large
tensor is mmap'ed and unmapped again. The DaskRunner's ``worker_env`` unsets it (default), here compared with Dask's own environment.

Trains one demo-sized model (``train_lstm``, 1 torch thread, seeded inputs) three ways, interleaved
``--repeats`` times, and prints the median seconds and each ratio to the driver:

    python benchmarks/dask_worker_env.py [--sites 344] [--days 1095] [--epochs 2] [--repeats 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from synergy_kedro.runners.dask_runner import DEFAULTS, start_local_cluster


def train_once(sites: int, days: int, epochs: int) -> float:
    """Seconds for one seeded training run with one torch thread (runs wherever it is called)."""
    import torch

    from paper_training import paper_config  # benchmarks/ is the script's folder, first on sys.path
    from synergy_kedro.model.training import train_lstm

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((sites, days, 12)).astype(np.float32)
    y = rng.standard_normal((sites, days)).astype(np.float32)
    y[rng.random(y.shape) < 0.6] = np.nan  # SMAP-like gaps
    config = paper_config(hidden_size=64, epochs=epochs, window=30, batch_size=100, seed=0)
    start = time.perf_counter()
    train_lstm(x, y, config)
    return time.perf_counter() - start


def in_worker(worker_env: dict, *args: int) -> float:
    """Run :func:`train_once` in a 1-worker LocalCluster started as the DaskRunner starts it."""
    from distributed import Client

    settings = {**DEFAULTS, "n_workers": 1, "dashboard_address": None, "worker_env": worker_env}
    with start_local_cluster(settings) as cluster, Client(cluster) as client:
        return client.submit(train_once, *args, pure=False).result()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=344)
    parser.add_argument("--days", type=int, default=1095)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    a = parser.parse_args()
    shape = (a.sites, a.days, a.epochs)
    ways = {
        "driver process": lambda: train_once(*shape),
        "Dask worker, Dask's environment (worker_env: {})": lambda: in_worker({}, *shape),
        f"Dask worker, the DaskRunner's worker_env {DEFAULTS['worker_env']}": lambda: in_worker(DEFAULTS["worker_env"], *shape),
    }
    times: dict[str, list[float]] = {k: [] for k in ways}
    for _ in range(a.repeats):
        for name, run in ways.items():
            times[name].append(run())
    print(f"train_lstm, {a.sites} sites x {a.days} days, hidden 64, window 30, batch 100, {a.epochs} epochs, "
          f"1 torch thread; median of {a.repeats}")
    reference = statistics.median(times["driver process"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<66} {median:7.1f} s  {median / reference:5.2f}x the driver")


if __name__ == "__main__":
    main()
