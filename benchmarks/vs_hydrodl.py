"""Benchmark: this project's training against the authors' own code (hydroDL), same data, same settings.

Trains hydroDL's ``CpuLstmModel`` with its own ``trainModel`` loop and ``RmseLoss`` (PyPI
``hydrodl==0.1.5``), and this project's :func:`~synergy_kedro.model.training.train_lstm`, on the
shared SMAP csv database (412 pixels of CONUSv4f1; NLDAS-2 forcing + 6 statics, precipitation
log-sqrt transformed, z-scores over the training year and all pixels): train 2015-04-01..2016-03-31,
test 2016-04-01..2017-03-31, window 30, batch 100, the same hidden size, epochs and seeds. Both
engines get the same normalised arrays; both predict the two years in one pass and are scored on
the test year with the same metric code (per-pixel RMSE and Pearson r in m³/m³, medians over pixels).

Prints, per engine and seed: seconds per epoch, test median RMSE and r; then the seed mean and
spread and the speed ratio. Run with nothing else on the cores:

    python benchmarks/vs_hydrodl.py                       # hidden 64, 30 epochs, seeds 0 and 1
    python benchmarks/vs_hydrodl.py --epochs 5 --seeds 0  # a quick look

**hydroDL is never a dependency of this project** (its licence is non-commercial, and it pins
torch 2.1.1 / pandas 2.1.1). The script installs it with ``pip install --no-deps --target`` into
its own folder (``--hydrodl-dir``, default ``~/.cache/synergy_kedro/hydrodl-0.1.5``) and runs it
in a separate process whose ``PYTHONPATH`` points there, with this interpreter's torch and numpy.

**One patch to hydroDL, on purpose** (``--hydrodl-masks per-batch``, the default): on CPU,
hydroDL 0.1.5's ``createMask`` calls ``torch.manual_seed(42)`` before every mask, so its CPU model
trains with the *same* DropConnect mask at every batch (a fixed sparse network, not dropout). Its
GPU path (``CudnnLstm``, what the paper ran) draws a new mask per batch. The patch makes the CPU
model draw per batch as the GPU one does, which is what this project implements;
``--hydrodl-masks shipped`` runs the package as it is. Nothing else of hydroDL is changed; its
``trainModel`` sleeps 0.1 s after every epoch, which is subtracted from its seconds per epoch
(both figures are printed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SMAP_CSV = REPO.parent / "shared" / "data" / "smap_hydrodl_csv"
TRAIN = ("2015-04-01", "2016-03-31")
TEST = ("2016-04-01", "2017-03-31")
DYNAMIC = ["APCP_FORA", "TMP_2_FORA", "SPFH_2_FORA", "DSWRF_FORA", "DLWRF_FORA", "UGRD_10_FORA", "VGRD_10_FORA"]
STATIC = ["Bulk", "Capa", "Clay", "NDVI", "Sand", "Silt"]
TRANSFORMS = {"APCP_FORA": "log_sqrt"}  # conf/smap_hydrodl, as hydroDL
HYDRODL = "hydrodl==0.1.5"
HYDRODL_SLEEP_PER_EPOCH = 0.1  # hydroDL.model.train.trainModel: sleep(0.1) after every epoch


# ----------------------------------------------------------------------------------------- data

def prepare(npz: Path) -> dict:
    """The normalised training and full-span arrays, and what is needed to score the test year."""
    from synergy_kedro.core.normalisation import fit_statistics, normalise
    from synergy_kedro.sources.smap_csv import read_smap_csv

    ds = read_smap_csv(SMAP_CSV, years=(2015, 2016), dynamic=DYNAMIC, static=STATIC)
    sites = ds["site"].values.astype(str)
    stats = fit_statistics(ds, [*DYNAMIC, "soil_moisture"], TRANSFORMS, sites, TRAIN)
    stats.update(fit_statistics(ds[STATIC], STATIC, TRANSFORMS, sites, TRAIN))
    norm = normalise(ds, stats)
    span = (TRAIN[0], TEST[1])
    dyn = lambda period: np.stack([norm[v].sel(time=slice(*period)).transpose("site", "time").values  # noqa: E731 - a one-line helper beside its data
                                   for v in DYNAMIC], axis=-1)
    static = np.stack([norm[v].values for v in STATIC], axis=-1)
    x_train, x_all = np.nan_to_num(dyn(TRAIN)), np.nan_to_num(dyn(span))
    y_train = norm["soil_moisture"].sel(time=slice(*TRAIN)).transpose("site", "time").values
    obs_test = ds["soil_moisture"].sel(time=slice(*TEST)).transpose("site", "time").values
    arrays = {"x_train": x_train, "x_all": x_all, "c": np.nan_to_num(static), "y_train": y_train}
    np.savez(npz, **{k: v.astype(np.float32) for k, v in arrays.items()})
    return {"arrays": arrays, "obs_test": obs_test, "sites": sites, "n_test": obs_test.shape[1],
            "y_stat": stats["soil_moisture"]}


def score(sim_norm_all: np.ndarray, data: dict) -> dict:
    """Median per-pixel RMSE and r over the test year (m³/m³), with this project's metric code."""
    from synergy_kedro.core.normalisation import denormalise
    from synergy_kedro.evaluation.metrics import site_metrics

    sim = denormalise(sim_norm_all[:, -data["n_test"]:], data["y_stat"])
    table = site_metrics(data["obs_test"], sim, data["sites"])
    return {"median_rmse": float(table["RMSE"].median()), "median_r": float(table["R"].median()),
            "pixels": int(table["RMSE"].notna().sum())}


# ------------------------------------------------------------------------------------- engines

def run_ours(data: dict, hidden: int, epochs: int, seed: int) -> dict:
    from paper_training import paper_config  # benchmarks/ is the script's folder, first on sys.path
    from synergy_kedro.model.training import predict_lstm, train_lstm

    a = data["arrays"]
    with_static = lambda x: np.concatenate([x, np.repeat(a["c"][:, None], x.shape[1], axis=1)], axis=-1)  # noqa: E731 - a one-line helper beside its data
    config = paper_config(hidden_size=hidden, dropout=0.5, dropout_method="weights", window=30, batch_size=100,
                            epochs=epochs, seed=seed, device="cpu", checkpoint_every=epochs)
    started = time.perf_counter()
    state, history = train_lstm(with_static(a["x_train"]).astype(np.float32), a["y_train"].astype(np.float32), config)
    wall = time.perf_counter() - started
    sim = predict_lstm(state, with_static(a["x_all"]).astype(np.float32), hidden, device="cpu")
    return {"engine": "synergy_kedro", "seed": seed, "seconds_per_epoch": wall / epochs,
            "iterations_per_epoch": int(history["iterations"].iloc[0]), **score(sim, data)}


def install_hydrodl(target: Path) -> None:
    if (target / "hydroDL").is_dir():
        return
    print(f"installing {HYDRODL} (--no-deps) into {target}", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), HYDRODL],
                   check=True)


def run_hydrodl(npz: Path, data: dict, hidden: int, epochs: int, seed: int, masks: str, target: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.npz"
        env = {**os.environ, "PYTHONPATH": str(target)}
        subprocess.run([sys.executable, __file__, "--hydrodl-worker", str(npz), str(out), str(hidden), str(epochs),
                        str(seed), masks], check=True, env=env)
        result = np.load(out)
        sim, wall = result["sim"], float(result["wall"])
    return {"engine": f"hydroDL 0.1.5 ({masks} masks)", "seed": seed,
            "seconds_per_epoch": wall / epochs - HYDRODL_SLEEP_PER_EPOCH, "seconds_per_epoch_with_sleep": wall / epochs,
            "iterations_per_epoch": int(result["n_iter"]), **score(sim, data)}


def hydrodl_worker(npz: str, out: str, hidden: int, epochs: int, seed: int, masks: str) -> None:
    """Runs in the process whose PYTHONPATH holds hydroDL: its model, its loop, its loss."""
    import contextlib
    import importlib
    import io

    import torch
    with contextlib.redirect_stdout(io.StringIO()):  # hydroDL prints on import
        from hydroDL.model import crit, train
        from hydroDL.model.rnn import CpuLstmModel
        from hydroDL.model.settings import make_train_settings
    if masks == "per-batch":
        def create_mask(x, dr, seed=None):  # hydroDL's GPU behaviour: a fresh Bernoulli mask per batch
            return x.new_empty(x.shape).bernoulli_(1 - dr).div_(1 - dr).detach_()
        for name in ("hydroDL.model.dropout", "hydroDL.model.rnn.LSTMcell_tied"):
            importlib.import_module(name).createMask = create_mask
    a = np.load(npz)
    x, c, y = a["x_train"], a["c"], a["y_train"][..., None]
    np.random.seed(seed)
    torch.manual_seed(seed)
    model = CpuLstmModel(nx=x.shape[-1] + c.shape[-1], ny=1, hiddenSize=hidden, dr=0.5)
    started = time.perf_counter()
    train.trainModel(model, x, y, c, crit.RmseLoss(), nEpoch=epochs, miniBatch=[100, 30], saveFolder=None)
    wall = time.perf_counter() - started
    n_iter = make_train_settings(model, x, y, c, epochs, [100, 30], 0)[1]["nIterEp"]
    model.train(False)
    x_all = np.concatenate([a["x_all"], np.repeat(c[:, None], a["x_all"].shape[1], axis=1)], axis=-1)
    sims = []
    with torch.no_grad():
        for i in range(0, x_all.shape[0], 100):
            xb = torch.from_numpy(np.swapaxes(x_all[i:i + 100], 0, 1)).float()  # hydroDL's (time, site, feature)
            sims.append(model(xb)[:, :, 0].numpy().T)
    np.savez(out, sim=np.concatenate(sims), wall=wall, n_iter=n_iter)


# ---------------------------------------------------------------------------------------- report

def summarise(results: list[dict]) -> str:
    rows = ["| engine | seed | s / epoch | updates / epoch | test median RMSE | test median r | pixels |",
            "|---|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r['engine']} | {r['seed']} | {r['seconds_per_epoch']:.2f} | {r['iterations_per_epoch']} | "
                    f"{r['median_rmse']:.4f} | {r['median_r']:.3f} | {r['pixels']} |")
    rows += ["", "| engine | s / epoch (mean) | median RMSE (mean ± half range over seeds) | median r |", "|---|---|---|---|"]
    engines = list(dict.fromkeys(r["engine"] for r in results))
    speed = {}
    for engine in engines:
        rs = [r for r in results if r["engine"] == engine]
        spe = statistics.mean(r["seconds_per_epoch"] for r in rs)
        speed[engine] = spe
        rm = [r["median_rmse"] for r in rs]
        rr = [r["median_r"] for r in rs]
        rows.append(f"| {engine} | {spe:.2f} | {statistics.mean(rm):.4f} ± {(max(rm) - min(rm)) / 2:.4f} | "
                    f"{statistics.mean(rr):.3f} ± {(max(rr) - min(rr)) / 2:.3f} |")
    ours = speed.get("synergy_kedro")
    for engine, spe in speed.items():
        if engine != "synergy_kedro" and ours:
            rows.append(f"\nsynergy_kedro is {spe / ours:.1f}× faster per epoch than {engine}.")
    return "\n".join(rows)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--hydrodl-worker":
        npz, out, hidden, epochs, seed, masks = sys.argv[2:8]
        hydrodl_worker(npz, out, int(hidden), int(epochs), int(seed), masks)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=lambda s: [int(v) for v in s.split(",")], default=[0, 1])
    parser.add_argument("--hydrodl-masks", choices=["per-batch", "shipped"], nargs="+", default=["per-batch"])
    parser.add_argument("--hydrodl-dir", type=Path, default=Path.home() / ".cache/synergy_kedro/hydrodl-0.1.5")
    parser.add_argument("--json", type=Path, help="also write the per-run results here")
    args = parser.parse_args()
    if not SMAP_CSV.is_dir():
        sys.exit(f"{SMAP_CSV} is missing: this benchmark reads the shared SMAP csv database beside the clone.")
    import torch
    install_hydrodl(args.hydrodl_dir)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.2f}; "
          f"hidden {args.hidden}, {args.epochs} epochs, seeds {args.seeds}", file=sys.stderr)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        npz = Path(tmp) / "arrays.npz"
        data = prepare(npz)
        for seed in args.seeds:
            results.append(run_ours(data, args.hidden, args.epochs, seed))
            print(results[-1], file=sys.stderr)
            for masks in args.hydrodl_masks:
                results.append(run_hydrodl(npz, data, args.hidden, args.epochs, seed, masks, args.hydrodl_dir))
                print(results[-1], file=sys.stderr)
    print(summarise(results))
    print(f"\nload average at the end {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
