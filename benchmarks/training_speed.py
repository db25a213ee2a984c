"""Benchmark: how close the training loop gets to the bare LSTM, what grouping buys, and vs neuralhydrology.

Prints, on the machine it runs on (CPU, or CUDA when present; ``--device``):

1. raw ``nn.LSTM`` forward+backward throughput for the paper's two shapes (the ceiling):
   soil moisture (window 30, batch 100) and streamflow (window 365, batch 500);
2. the project's training step (``train_lstm``: sampling, gather, HydroLSTM, masked RMSE,
   backward, AdaDelta) for the same shapes, and the grouped engine with a single model, as a ratio
   to 1. (target ≥ 0.85);
3. 18 local models trained one by one (``train_lstm``) vs together (``train_grouped``), hidden 64
   and 256, as a ratio (target ≥ 3× at hidden 64), with the largest weight difference between them;
4. the same configuration trained with neuralhydrology (its ``GenericDataset`` written from the
   real Caravan archive ``../shared/data/caravan_camels482.tar.xz``: same basins, inputs, hidden
   size, sequence length, batch size) vs this project: samples·timesteps per second and peak memory
   (each engine in its own process) (target ≥ 3×);
5. end-to-end wall time of the demo ``kedro run --pipeline global_vs_local`` in a temporary copy
   of the project, with ``training.grouped`` false and true.

Throughput is samples·timesteps per second (batch × window per step). Every comparison is a
ratio of two figures measured in this one run, interleaved (A B A B …) and reduced to medians, so
that other load on the machine hits both sides alike; the load average is printed too.

    python benchmarks/training_speed.py --quick          # a few minutes on 2 CPU cores
    python benchmarks/training_speed.py                  # paper sizes (hidden 256); meant for a GPU
    python benchmarks/training_speed.py --quick --skip-e2e --skip-nh --sections 1,2,3
    python benchmarks/training_speed.py --quick --threads 1   # steadier figures on a busy machine
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from paper_training import paper_config  # benchmarks/ is the script's folder, first on sys.path
from synergy_kedro.model.device import peak_memory_bytes, reset_peak_memory, resolve_device, synchronize
from synergy_kedro.model.grouped import train_grouped
from synergy_kedro.model.training import train_lstm

REPO = Path(__file__).resolve().parents[1]
CARAVAN_ARCHIVE = REPO.parent / "shared" / "data" / "caravan_camels482.tar.xz"
SHAPES = {"soil_moisture": (30, 100), "streamflow": (365, 500)}  # window, batch (Fang et al.)
CARAVAN_DYNAMIC = ["total_precipitation_sum", "temperature_2m_mean", "potential_evaporation_sum"]
CARAVAN_STATIC = ["area", "p_mean", "pet_mean", "aridity", "frac_snow", "high_prec_freq", "low_prec_freq",
                  "elev_mean", "slope_mean", "frac_forest", "soil_depth_pelletier", "sand_frac", "clay_frac"]
TRAIN_PERIOD = ("1985-10-01", "1995-09-30")  # conf/caravan


# ------------------------------------------------------------------------------------------ helpers

def header(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 86 - len(title)), flush=True)


def table(rows: list[dict]) -> None:
    if not rows:
        return
    cols = list(rows[0])
    text = [[_fmt(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(t[i]) for t in text)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths, strict=False)))
    for t in text:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=False)))
    sys.stdout.flush()


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 1000 else f"{v:,.0f}"
    return "" if v is None else str(v)


def interleaved(fns: dict[str, callable], repeats: int) -> dict[str, float]:
    """Median seconds of each callable, run A B A B … so that background load hits all alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(fn())
    return {k: statistics.median(v) for k, v in times.items()}


def synthetic(n_sites: int, n_time: int, n_features: int, seed: int, missing: float = 0.5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_sites, n_time, n_features)).astype(np.float32)
    noise = 0.1 * rng.normal(size=(n_sites, n_time))
    y = (0.6 * x[..., 0] - 0.3 * np.roll(x[..., 1], 3, axis=1) + noise).astype(np.float32)
    y[rng.random(y.shape) < missing] = np.nan
    return x, y


# ------------------------------------------------------------------------------------------ 1 + 2

def raw_lstm_seconds(hidden: int, window: int, batch: int, steps: int, device: torch.device) -> callable:
    """Seconds per forward+backward of a bare nn.LSTM(hidden → hidden) on (batch, window, hidden)."""
    lstm = torch.nn.LSTM(hidden, hidden, batch_first=True).to(device)
    x = torch.randn(batch, window, hidden, device=device)

    def step():
        out, _ = lstm(x)
        out.sum().backward()

    step()  # warm-up (cuDNN plans, MKL buffers)

    def run() -> float:
        synchronize(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        synchronize(device)
        return (time.perf_counter() - t0) / steps

    return run


def project_step_seconds(hidden: int, window: int, batch: int, steps: int, device: torch.device, grouped: bool = False,
                         precision: str = "fp32") -> callable:
    """Seconds per step of train_lstm (or the grouped engine with one model): epoch 2 of 2, from the history."""
    n_features = 12 if window < 100 else 16
    x, y = synthetic(max(8, batch // 4), window * 3, n_features, seed=1)
    config = paper_config(hidden_size=hidden, dropout=0.5, window=window, batch_size=batch, epochs=2,
                            iterations_per_epoch=steps, device=str(device), precision=precision)

    def run() -> float:
        if grouped:
            _, history = train_grouped([(x, y)], config)[0]
        else:
            _, history = train_lstm(x, y, config)
        return float(history["seconds"].iloc[-1]) / steps

    return run


def section_ceiling(args, device) -> list[dict]:
    header(f"1+2. raw nn.LSTM vs the project's training step (hidden {args.hidden}, {device})")
    rows = []
    for name, (window, batch) in SHAPES.items():
        steps = args.steps if window < 100 else max(1, args.steps // 8)
        fns = {"raw": raw_lstm_seconds(args.hidden, window, batch, steps, device),
               "train_lstm": project_step_seconds(args.hidden, window, batch, steps, device),
               "grouped(G=1)": project_step_seconds(args.hidden, window, batch, steps, device, grouped=True)}
        if device.type == "cuda":  # bfloat16 matrix products (training.precision: bf16)
            fns["train_lstm bf16"] = project_step_seconds(args.hidden, window, batch, steps, device, precision="bf16")
        sec = interleaved(fns, args.repeats)
        tput = {k: batch * window / v for k, v in sec.items()}
        for k in fns:
            rows.append({"shape": f"{name} (T={window}, B={batch})", "engine": k, "ms/step": sec[k] * 1e3,
                         "samples·steps/s": tput[k], "ratio to raw": tput[k] / tput["raw"]})
    table(rows)
    print("target: train_lstm ≥ 0.85 × raw (the training step adds the input layer, head, dropout, masked loss, "
          "AdaDelta and batch sampling to the bare LSTM)")
    return rows


# ------------------------------------------------------------------------------------------ 3

def section_grouped(args, device) -> list[dict]:
    window, batch = SHAPES["soil_moisture"]
    header(f"3. 18 local models: one by one vs grouped (T={window}, B={batch}, dropout {args.group_dropout}, {device})")
    # Demo-like site counts: 12 per sub-region, some with focus regions added (different hydroDL
    # iterations per epoch in the real pipeline; here a fixed number of steps per model).
    counts = [12, 12, 20, 12, 12, 28, 12, 12, 20, 12, 12, 12, 20, 12, 12, 12, 12, 12]
    datasets = [synthetic(n, 3 * 365, 12, seed=i) for i, n in enumerate(counts)]
    rows = []
    for hidden in (64, 256):
        steps = args.group_steps if hidden == 64 else max(2, args.group_steps // 2)
        config = paper_config(hidden_size=hidden, dropout=args.group_dropout, window=window, batch_size=batch, epochs=1,
                                iterations_per_epoch=steps, device=str(device))
        out = {}

        def sequential(out=out, config=config):
            t0 = time.perf_counter()
            out["seq"] = [train_lstm(x, y, config, label=f"m{i}") for i, (x, y) in enumerate(datasets)]
            synchronize(device)
            return time.perf_counter() - t0

        def grouped(out=out, config=config):
            t0 = time.perf_counter()
            out["grp"] = train_grouped(datasets, config)
            synchronize(device)
            return time.perf_counter() - t0

        train_grouped(datasets[:2], replace(config, iterations_per_epoch=1))  # warm-up
        sec = interleaved({"sequential": sequential, "grouped": grouped}, args.repeats)
        diff = max(float((a[0][k] - b[0][k]).abs().max()) for a, b in zip(out["seq"], out["grp"], strict=False) for k in a[0])
        samples = len(datasets) * steps * batch * window
        rows.append({"hidden": hidden, "steps/model": steps, "sequential s": sec["sequential"],
                     "grouped s": sec["grouped"], "grouped speed-up": sec["sequential"] / sec["grouped"],
                     "grouped samples·steps/s": samples / sec["grouped"], "max |Δweight|": diff})
    table(rows)
    print("target: grouped ≥ 3 × sequential at hidden 64 (same weights within float rounding: max |Δweight|)")
    return rows


# ------------------------------------------------------------------------------------------ 4

def unpack_caravan(archive: Path, dest: Path) -> Path:
    with tarfile.open(archive, "r:xz") as tar:
        tar.extractall(dest, filter="data")
    return dest / "caravan"


def write_generic_dataset(caravan: Path, basins: list[str], dest: Path) -> Path:
    """neuralhydrology's GenericDataset layout: time_series/<basin>.nc (coordinate ``date``), attributes/*.csv."""
    import pandas as pd

    from synergy_kedro.sources.caravan import read_caravan_attributes

    (dest / "time_series").mkdir(parents=True, exist_ok=True)
    (dest / "attributes").mkdir(exist_ok=True)
    for basin in basins:
        frame = pd.read_csv(caravan / "timeseries" / "csv" / "camels" / f"{basin}.csv", parse_dates=["date"])
        frame = frame.set_index("date")[[*CARAVAN_DYNAMIC, "streamflow"]].astype("float32")
        frame.to_xarray().to_netcdf(dest / "time_series" / f"{basin}.nc")
    attributes = read_caravan_attributes(caravan, "camels").loc[basins, CARAVAN_STATIC]
    attributes.index.name = "gauge_id"
    attributes.to_csv(dest / "attributes" / "attributes.csv")
    (dest / "basins.txt").write_text("\n".join(basins) + "\n")
    return dest


def nh_config(data_dir: Path, run_dir: Path, hidden: int, window: int, batch: int, device: torch.device) -> Path:
    start, end = (f"{d[8:10]}/{d[5:7]}/{d[0:4]}" for d in TRAIN_PERIOD)
    cfg = {
        "experiment_name": "bench", "run_dir": str(run_dir), "data_dir": str(data_dir), "dataset": "generic",
        "train_basin_file": str(data_dir / "basins.txt"), "validation_basin_file": str(data_dir / "basins.txt"),
        "test_basin_file": str(data_dir / "basins.txt"),
        "train_start_date": start, "train_end_date": end, "validation_start_date": start,
        "validation_end_date": end, "test_start_date": start, "test_end_date": end,
        "device": "cuda:0" if device.type == "cuda" else "cpu",
        "model": "cudalstm", "head": "regression", "output_activation": "linear", "hidden_size": hidden,
        "initial_forget_bias": 0, "output_dropout": 0.5, "optimizer": "Adam", "loss": "RMSE",
        "learning_rate": {0: 1e-3}, "batch_size": batch, "epochs": 1, "seq_length": window,
        "predict_last_n": window,  # loss on every step of the window, as this project (sequence-to-sequence)
        "num_workers": 0, "dynamic_inputs": CARAVAN_DYNAMIC, "target_variables": ["streamflow"],
        "static_attributes": CARAVAN_STATIC, "log_interval": 1000, "log_tensorboard": False,
        "save_weights_every": 1000, "verbose": 0, "seed": 42, "validate_every": None, "metrics": [],
    }
    import yaml

    path = run_dir.parent / "nh_config.yml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def worker_nh(args) -> dict:
    """neuralhydrology's own trainer: data prep, one warm-up step, then ``steps`` timed steps."""
    from neuralhydrology.training.basetrainer import BaseTrainer
    from neuralhydrology.utils.config import Config

    device = resolve_device(args.device)
    cfg = Config(Path(args.nh_config))
    trainer = BaseTrainer(cfg)
    t0 = time.perf_counter()
    trainer.initialize_training()
    prep = time.perf_counter() - t0
    rss_before = _rss()
    trainer._max_updates_per_epoch = 1  # warm-up epoch of one step
    trainer._train_epoch(epoch=1)
    reset_peak_memory(device)
    trainer._max_updates_per_epoch = args.steps
    synchronize(device)
    t0 = time.perf_counter()
    trainer._train_epoch(epoch=2)
    synchronize(device)
    seconds = time.perf_counter() - t0
    return {"seconds_per_step": seconds / args.steps, "prep_seconds": prep, "peak_bytes": peak_memory_bytes(device),
            "rss_before_training": rss_before, "samples": len(trainer.loader.dataset)}


def worker_project(args) -> dict:
    """This project: the same basins through its Caravan reader and normalisation, then train_lstm."""
    from synergy_kedro.model.arrays import input_array, target_array
    from synergy_kedro.sources.caravan import read_caravan

    device = resolve_device(args.device)
    basins = Path(args.basins_file).read_text().split()
    t0 = time.perf_counter()
    ds = read_caravan(Path(args.caravan), "camels", basins=basins, dynamic=CARAVAN_DYNAMIC, static=CARAVAN_STATIC,
                      start=TRAIN_PERIOD[0], end=TRAIN_PERIOD[1])
    dynamic = ["prcp", "tmean", "pet"]
    static = [{"elev_mean": "elevation", "slope_mean": "slope", "frac_forest": "forest_frac"}.get(s, s)
              for s in CARAVAN_STATIC]
    for v in [*dynamic, *static, "streamflow"]:  # z-score (speed does not depend on the transform)
        ds[v] = (ds[v] - ds[v].mean()) / (ds[v].std() + 1e-6)
    x = input_array(ds, ds["site"].values, dynamic, static)
    y = target_array(ds, ds["site"].values, "streamflow")
    prep = time.perf_counter() - t0
    rss_before = _rss()
    config = paper_config(hidden_size=args.hidden, dropout=0.5, window=args.window, batch_size=args.batch, epochs=1,
                            iterations_per_epoch=1, device=str(device), precision=args.precision)
    train_lstm(x, y, config)  # warm-up
    reset_peak_memory(device)
    config = replace(config, iterations_per_epoch=args.steps)
    synchronize(device)
    _, history = train_lstm(x, y, config)
    return {"seconds_per_step": float(history["seconds"].iloc[-1]) / args.steps, "prep_seconds": prep,
            "peak_bytes": peak_memory_bytes(device), "rss_before_training": rss_before, "samples": int(x.shape[0])}


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def run_worker(kind: str, extra: list[str]) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, *extra]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} worker failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def section_neuralhydrology(args, device) -> list[dict]:
    window, batch = SHAPES["streamflow"]
    header(f"4. neuralhydrology vs this project on Caravan (hidden {args.hidden}, T={window}, B={batch}, "
           f"{args.nh_basins} basins, {device}, this project {args.precision})")
    try:
        import neuralhydrology  # noqa: F401 - only whether it imports
    except ImportError as err:
        print(f"SKIPPED: neuralhydrology is not installed ({err}); pip install -e '.[bench]'")
        return []
    if not args.caravan_archive.is_file():
        print(f"SKIPPED: {args.caravan_archive} not found")
        return []
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        caravan = unpack_caravan(args.caravan_archive, tmp / "unpacked")
        basins = sorted(p.stem for p in (caravan / "timeseries" / "csv" / "camels").glob("*.csv"))[: args.nh_basins]
        data_dir = write_generic_dataset(caravan, basins, tmp / "generic")
        (tmp / "runs").mkdir()
        config = nh_config(data_dir, tmp / "runs" / "nh", args.hidden, window, batch, device)
        common = ["--device", str(device), "--steps", str(args.nh_steps), "--hidden", str(args.hidden),
                  "--precision", args.precision,
                  *(["--threads", str(args.threads)] if args.threads else []),
                  "--window", str(window), "--batch", str(batch)]
        results: dict[str, list[dict]] = {"neuralhydrology": [], "synergy_kedro": []}
        for _ in range(args.nh_repeats):  # interleaved, one process per measurement (peak memory)
            results["neuralhydrology"].append(run_worker("nh", [*common, "--nh-config", str(config)]))
            results["synergy_kedro"].append(run_worker("project", [*common, "--caravan", str(caravan),
                                                                   "--basins-file", str(data_dir / "basins.txt")]))
    med = {k: {m: statistics.median(r[m] for r in v) for m in v[0]} for k, v in results.items()}
    n_inputs, hidden = len(CARAVAN_DYNAMIC) + len(CARAVAN_STATIC), args.hidden
    # Multiply-adds ×2 per sample and step, forward; backward ≈ 2 × forward.
    flops = {"neuralhydrology": 2 * 4 * hidden * (n_inputs + hidden) + 2 * hidden,
             "synergy_kedro": 2 * hidden * n_inputs + 2 * 4 * hidden * (2 * hidden) + 2 * hidden}
    for name, r in med.items():
        rows.append({"engine": name, "ms/step": r["seconds_per_step"] * 1e3,
                     "samples·steps/s": batch * window / r["seconds_per_step"],
                     "speed vs neuralhydrology": med["neuralhydrology"]["seconds_per_step"] / r["seconds_per_step"],
                     "GFLOP/s": 3 * flops[name] * batch * window / r["seconds_per_step"] / 1e9,
                     "peak MiB": r["peak_bytes"] / 2**20, "data prep s": r["prep_seconds"]})
    table(rows)
    print(f"Same basins, 3 ERA5-Land forcings + 13 statics, hidden/seq_length/batch as above, dropout 0.5, loss on all "
          f"{window} steps (NH predict_last_n = seq_length). Differences NH cannot match: NH's CudaLSTM feeds the "
          f"{n_inputs} inputs straight into the LSTM, this project lifts them to {hidden} first (Linear+ReLU), so it "
          f"does {flops['synergy_kedro'] / flops['neuralhydrology']:.2f}× the arithmetic per sample·step (GFLOP/s "
          "compares efficiency); NH offers Adam, not AdaDelta. Peak memory: "
          + ("CUDA max allocated during training." if device.type == "cuda" else "peak RSS of each engine's process."))
    print("target: ≥ 3 × neuralhydrology")
    return rows


# ------------------------------------------------------------------------------------------ 5

def section_end_to_end(args) -> list[dict]:
    epochs = f", epochs={args.e2e_epochs}" if args.e2e_epochs else ""
    header(f"5. kedro run --pipeline global_vs_local (demo config{epochs})")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        times: dict[bool, list[float]] = {False: [], True: []}
        for run, grouped in enumerate([False, True] * args.e2e_repeats):  # interleaved
            project = Path(tmp) / f"project_{run}"
            project.mkdir()
            for name in ("pyproject.toml", ".telemetry"):
                if (REPO / name).exists():
                    shutil.copy(REPO / name, project / name)
            shutil.copytree(REPO / "conf", project / "conf", ignore=shutil.ignore_patterns("local"))
            (project / "conf" / "local").mkdir()
            (project / "src").mkdir()
            params = [f"training.grouped={str(grouped).lower()}"]
            if args.e2e_epochs:
                params.append(f"training.epochs={args.e2e_epochs}")
            env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}"}
            t0 = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "kedro", "run", "--pipeline", "global_vs_local",
                                   "--params", ",".join(params)], cwd=project, env=env, capture_output=True, text=True)
            times[grouped].append(time.perf_counter() - t0)
            if done.returncode != 0:
                print(f"kedro run failed (grouped={grouped}):\n{done.stderr[-3000:]}")
                return rows
        wall = {g: statistics.median(t) for g, t in times.items()}
        for grouped in (False, True):
            rows.append({"training.grouped": grouped, "runs": len(times[grouped]), "wall s (median)": wall[grouped],
                         "speed-up": wall[False] / wall[grouped]})
    table(rows)
    return rows


# ------------------------------------------------------------------------------------------ main

def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="CPU-sized: hidden 64 in 1, 2, 4; few steps; e2e epochs=2")
    p.add_argument("--hidden", type=int, default=None, help="hidden size of 1, 2 and 4 (default 256; --quick 64)")
    p.add_argument("--device", default="auto")
    p.add_argument("--steps", type=int, default=None, help="timed steps per measurement (streamflow: a quarter)")
    p.add_argument("--group-steps", type=int, default=None, help="steps per model in 3")
    p.add_argument("--repeats", type=int, default=None, help="interleaved repetitions per comparison (median)")
    p.add_argument("--nh-basins", type=int, default=None)
    p.add_argument("--nh-steps", type=int, default=None)
    p.add_argument("--nh-repeats", type=int, default=None)
    p.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    p.add_argument("--e2e-epochs", type=int, default=None, help="training.epochs for 5 (default: the demo's)")
    p.add_argument("--e2e-repeats", type=int, default=None, help="kedro runs per setting in 5 (interleaved)")
    p.add_argument("--sections", default="1,2,3,4,5")
    p.add_argument("--skip-nh", action="store_true")
    p.add_argument("--skip-e2e", action="store_true")
    p.add_argument("--json", type=Path, default=None, help="also write the figures here")
    p.add_argument("--precision", default="fp32", help="this project's training.precision in 4 (NH runs fp32)")
    p.add_argument("--group-dropout", type=float, default=0.5,
                   help="dropout in 3 (0 shows the GPU weight difference without dropout-RNG differences)")
    p.add_argument("--caravan-archive", type=Path, default=CARAVAN_ARCHIVE,
                   help="Caravan archive for 4 (default ../shared/data/caravan_camels482.tar.xz)")
    # internal: one engine of section 4 in its own process
    p.add_argument("--worker", choices=["nh", "project"], help=argparse.SUPPRESS)
    p.add_argument("--nh-config", help=argparse.SUPPRESS)
    p.add_argument("--caravan", help=argparse.SUPPRESS)
    p.add_argument("--basins-file", help=argparse.SUPPRESS)
    p.add_argument("--window", type=int, help=argparse.SUPPRESS)
    p.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.worker:
        import logging

        logging.disable(logging.WARNING)
        out = worker_nh(args) if args.worker == "nh" else worker_project(args)
        print(json.dumps(out))
        return

    quick = args.quick
    args.hidden = args.hidden or (64 if quick else 256)
    args.steps = args.steps or (8 if quick else 40)
    args.group_steps = args.group_steps or (6 if quick else 30)
    args.repeats = args.repeats or (2 if quick else 5)
    args.nh_basins = args.nh_basins or (20 if quick else 100)
    args.nh_steps = args.nh_steps or (2 if quick else 20)
    args.nh_repeats = args.nh_repeats or (1 if quick else 3)
    if args.e2e_epochs is None and quick:
        args.e2e_epochs = 2
    args.e2e_repeats = args.e2e_repeats or (1 if quick else 2)
    sections = {s.strip() for s in args.sections.split(",")}
    device = resolve_device(args.device)

    print(f"torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else
             f", {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
          + f", load average {os.getloadavg()[0]:.1f} at start")
    results: dict[str, list[dict]] = {}
    if sections & {"1", "2"}:
        results["ceiling"] = section_ceiling(args, device)
    if "3" in sections:
        results["grouped"] = section_grouped(args, device)
    if "4" in sections and not args.skip_nh:
        results["neuralhydrology"] = section_neuralhydrology(args, device)
    if "5" in sections and not args.skip_e2e:
        results["end_to_end"] = section_end_to_end(args)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end (other processes on the machine skew absolute figures; "
          "ratios are measured interleaved)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
