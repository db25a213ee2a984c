"""Benchmark: peak memory of chunked gridded-forcing ingestion stays flat as the file count grows 4×.

Generates, in a temporary folder, 4·N gridded forcing files shaped like

* ``nldas``: NLDAS-2 FORA (1/8° CONUS grid, 224 × 464, hourly, one file per day — as the
  benchmark ``nldas_aggregation.py`` writes them), or
* ``gridmet``: gridMET (1/24° CONUS grid, 585 × 1386, daily, latitudes north → south, a few days
  per file; real gridMET files are one variable-year each with a ``day`` dimension, renamed
  ``time`` before aggregation),

then aggregates the first N and all 4·N files to daily 36 km EASE-Grid 2.0 pixel means with
:func:`synergy_kedro.sources.nldas.aggregate_nldas_to_pixels` — xarray ``open_mfdataset`` with dask
chunks along time — each in a **fresh subprocess**, and prints its peak resident memory
(``getrusage`` ``ru_maxrss``) and the peak above the process's resident memory after imports.
For contrast, ``--eager`` also measures loading all files into memory first (``.load()``), which
grows with the file count.

    python benchmarks/chunked_ingestion_memory.py [--kind nldas|gridmet|both] [--files 4]
        [--factor 4] [--variables 2] [--chunk 24] [--eager]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

HERE = Path(__file__).resolve().parent
NLDAS_LAT = 25.0625 + 0.125 * np.arange(224)
NLDAS_LON = -124.9375 + 0.125 * np.arange(464)
GRIDMET_LAT = 49.4 - np.arange(585) / 24.0  # north → south, as gridMET stores it
GRIDMET_LON = -124.7666666 + np.arange(1386) / 24.0
NLDAS_NAMES = ["TMP", "APCP", "SPFH", "PRES", "UGRD", "VGRD", "DSWRF", "DLWRF"]
GRIDMET_NAMES = ["tmmx", "pr", "tmmn", "srad", "sph", "vs", "rmax", "rmin"]


def _field(rng: np.random.Generator, shape: tuple[int, ...], scale: float, water: np.ndarray) -> np.ndarray:
    x = (scale * (1 + 0.1 * rng.standard_normal(shape))).astype(np.float32)
    x[:, water] = np.nan
    return x


def write_gridmet(folder: Path, n_files: int, names: list[str], days_per_file: int = 4, seed: int = 0) -> list[Path]:
    """gridMET-like daily files (lat descending, ocean NaN) of ``days_per_file`` days each."""
    rng = np.random.default_rng(seed)
    la, lo = np.meshgrid(GRIDMET_LAT, GRIDMET_LON, indexing="ij")
    water = (lo < -124.0 + 0.1 * (la - 40)) | ((la < 29.5) & (lo > -97.5) & (lo < -82.5)) | (lo > -75.0 + 0.25 * (la - 35)) & (la < 41)
    scale = {"tmmx": 295.0, "tmmn": 280.0, "pr": 2.0, "srad": 200.0, "sph": 0.007, "vs": 3.0, "rmax": 80.0, "rmin": 30.0}
    files = []
    for f in range(n_files):
        t = pd.date_range("2015-04-01", periods=days_per_file, freq="D") + pd.Timedelta(days=f * days_per_file)
        data = {n: (("time", "lat", "lon"), _field(rng, (days_per_file, *water.shape), scale.get(n, 1.0), water),
                    {"units": "mm" if n == "pr" else "1"}) for n in names}
        path = folder / f"gridmet_{t[0]:%Y%m%d}.nc"
        xr.Dataset(data, coords={"time": t, "lat": GRIDMET_LAT, "lon": GRIDMET_LON}).to_netcdf(path)
        files.append(path)
    return files


def write_nldas(folder: Path, n_files: int, names: list[str]) -> list[Path]:
    sys.path.insert(0, str(HERE))
    from nldas_aggregation import write_files  # the NLDAS-2 FORA look-alike files of the throughput benchmark

    return write_files(folder, n_files, names)


def pixels_for(kind: str) -> pd.DataFrame:
    from synergy_kedro.sources.smap_l3 import ease2_cells_in_bbox, ease2_pixel_bounds

    lat, lon = (NLDAS_LAT, NLDAS_LON) if kind == "nldas" else (GRIDMET_LAT, GRIDMET_LON)
    rows, cols = ease2_cells_in_bbox((lat.min(), lat.max(), lon.min(), lon.max()))
    return ease2_pixel_bounds(rows, cols)


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def measure(kind: str, mode: str, files: list[Path], names: list[str], chunk: int) -> dict:
    """In this (fresh) process: aggregate ``files`` and report peak RSS; printed as JSON by ``--child``."""
    import resource

    import dask

    from synergy_kedro.sources.nldas import aggregate_nldas_to_pixels

    pixels = pixels_for(kind)
    baseline = _rss_mb()
    t0 = time.perf_counter()
    with dask.config.set(scheduler="threads", num_workers=os.cpu_count()):
        if mode == "chunked":
            out = aggregate_nldas_to_pixels(files, pixels, {n: n for n in names}, chunks={"time": chunk})
        else:
            with xr.open_mfdataset(files, combine="by_coords") as ds:
                loaded = ds.load()
            out = aggregate_nldas_to_pixels(loaded, pixels, {n: n for n in names})
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"kind": kind, "mode": mode, "files": len(files), "input_mb": sum(f.stat().st_size for f in files) / 1e6,
            "baseline_mb": baseline, "peak_mb": peak, "peak_above_baseline_mb": peak - baseline, "seconds": seconds,
            "output": dict(out.sizes)}


def run_child(kind: str, mode: str, files: list[Path], names: list[str], chunk: int) -> dict:
    spec = json.dumps({"kind": kind, "mode": mode, "files": [str(f) for f in files], "names": names, "chunk": chunk})
    done = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"measurement failed ({kind}, {mode}, {len(files)} files):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", choices=["nldas", "gridmet", "both"], default="both")
    ap.add_argument("--files", type=int, default=4, help="N: the small run's file count (the large one has factor·N)")
    ap.add_argument("--factor", type=int, default=4)
    ap.add_argument("--variables", type=int, default=2, help="variables per file (of 8)")
    ap.add_argument("--chunk", type=int, default=24, help="time steps per dask chunk")
    ap.add_argument("--eager", action="store_true", help="also measure loading every file into memory first")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(measure(spec["kind"], spec["mode"], [Path(f) for f in spec["files"]], spec["names"], spec["chunk"])))
        return

    kinds = ["nldas", "gridmet"] if args.kind == "both" else [args.kind]
    modes = ["chunked", "eager"] if args.eager else ["chunked"]
    counts = [args.files, args.files * args.factor]
    print(f"cpu cores: {os.cpu_count()}; dask threaded scheduler; chunks of {args.chunk} time steps; "
          f"{args.variables} variables; each figure from a fresh subprocess")
    print(f"{'kind':8} {'mode':8} {'files':>5} {'input MB':>9} {'peak RSS MB':>12} {'above imports MB':>17} {'seconds':>8}  output")
    rows = []
    for kind in kinds:
        names = (NLDAS_NAMES if kind == "nldas" else GRIDMET_NAMES)[: args.variables]
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            files = (write_nldas if kind == "nldas" else write_gridmet)(Path(tmp), counts[-1], names)
            print(f"# {kind}: wrote {len(files)} files in {time.perf_counter() - t0:.0f} s")
            for mode in modes:
                for n in counts:
                    r = run_child(kind, mode, files[:n], names, args.chunk)
                    rows.append(r)
                    print(f"{kind:8} {mode:8} {n:5d} {r['input_mb']:9.0f} {r['peak_mb']:12.0f} "
                          f"{r['peak_above_baseline_mb']:17.0f} {r['seconds']:8.1f}  {r['output']}", flush=True)
    print()
    for kind in kinds:
        for mode in modes:
            small, large = (r for r in rows if r["kind"] == kind and r["mode"] == mode)
            print(f"{kind} {mode}: {args.factor}x the files ({small['files']} -> {large['files']}, "
                  f"{small['input_mb']:.0f} -> {large['input_mb']:.0f} MB): peak RSS {small['peak_mb']:.0f} -> "
                  f"{large['peak_mb']:.0f} MB (x{large['peak_mb'] / small['peak_mb']:.2f}); above imports "
                  f"{small['peak_above_baseline_mb']:.0f} -> {large['peak_above_baseline_mb']:.0f} MB")


if __name__ == "__main__":
    main()
