"""Benchmark: NLDAS-2-sized hourly forcing → daily means on the 36 km EASE-Grid 2.0 pixels of CONUS.

Generates, in a temporary folder, netCDF files shaped like NLDAS-2 FORA (1/8° grid, 224 lat × 464
lon, centres 25.0625–52.9375 N, 124.9375–67.0625 W; hourly; float32; water cells NaN), one file
per day as daily NLDAS collections are usually stored, then runs
:func:`synergy_kedro.sources.nldas.aggregate_nldas_to_pixels` on the files (dask-backed) and on
the same data in memory, and prints seconds and throughput (input grid-cell values per second).

    python benchmarks/nldas_aggregation.py [--days 3] [--variables 8] [--chunk 24]
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.sources.nldas import DEFAULT_VARIABLES, aggregate_nldas_to_pixels, pixel_weights
from synergy_kedro.sources.smap_l3 import ease2_cells_in_bbox, ease2_pixel_bounds

LAT = 25.0625 + 0.125 * np.arange(224)
LON = -124.9375 + 0.125 * np.arange(464)


def water_mask() -> np.ndarray:
    """A crude NLDAS-like water mask (Pacific, Gulf of Mexico, Atlantic, Great Lakes-ish) of (lat, lon)."""
    la, lo = np.meshgrid(LAT, LON, indexing="ij")
    return ((lo < -124.0 + 0.1 * (la - 40)) | ((la < 29.5) & (lo > -97.5) & (lo < -82.5))
            | (lo > -75.0 + 0.25 * (la - 35)) & (la < 41) | ((la > 43) & (la < 47) & (lo > -88) & (lo < -82)))


def write_files(folder: Path, days: int, names: list[str], seed: int = 0) -> list[Path]:
    """One netCDF per day of hourly float32 fields with realistic magnitudes."""
    rng = np.random.default_rng(seed)
    water = water_mask()
    scale = {"APCP": 0.1, "TMP": 285.0, "SPFH": 0.007, "PRES": 95000.0, "UGRD": 1.0, "VGRD": 1.0,
             "DSWRF": 200.0, "DLWRF": 300.0}
    files = []
    for d in range(days):
        t = pd.date_range("2015-04-01", periods=24, freq="h") + pd.Timedelta(days=d)
        data = {}
        for n in names:
            x = (scale.get(n, 1.0) * (1 + 0.1 * rng.standard_normal((24, LAT.size, LON.size)))).astype(np.float32)
            x[:, water] = np.nan
            data[n] = (("time", "lat", "lon"), x, {"units": "kg m-2" if n == "APCP" else "1"})
        path = folder / f"NLDAS_FORA0125_H.A{t[0]:%Y%m%d}.002.nc"
        xr.Dataset(data, coords={"time": t, "lat": LAT, "lon": LON}).to_netcdf(path)
        files.append(path)
    return files


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--variables", type=int, default=8, help="how many of the 8 FORA variables")
    ap.add_argument("--chunk", type=int, default=24, help="time steps per dask chunk")
    args = ap.parse_args()
    names = list(DEFAULT_VARIABLES)[: args.variables]

    rows, cols = ease2_cells_in_bbox((LAT[0], LAT[-1], LON[0], LON[-1]))
    pixels = ease2_pixel_bounds(rows, cols)
    n_values = args.days * 24 * LAT.size * LON.size * len(names)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        files = write_files(Path(tmp), args.days, names)
        t_write = time.perf_counter() - t0
        size_mb = sum(f.stat().st_size for f in files) / 1e6

        t0 = time.perf_counter()
        w = pixel_weights(LAT, LON, pixels)
        t_weights = time.perf_counter() - t0

        t0 = time.perf_counter()
        lazy_result = aggregate_nldas_to_pixels(files, pixels, {n: n for n in names}, chunks={"time": args.chunk})
        t_files = time.perf_counter() - t0

        with xr.open_mfdataset(files) as ds:
            in_memory = ds.load()
        t0 = time.perf_counter()
        mem_result = aggregate_nldas_to_pixels(in_memory, pixels, {n: n for n in names})
        t_mem = time.perf_counter() - t0
        assert np.allclose(lazy_result.to_array().values, mem_result.to_array().values, equal_nan=True)

    covered = int((np.diff(w.indptr) > 0).sum())
    print(f"grid 224 x 464 (1/8 deg), {args.days * 24} hourly steps, {len(names)} variables "
          f"= {n_values / 1e6:.1f} M cell values in {len(files)} files ({size_mb:.0f} MB, written in {t_write:.1f} s)")
    print(f"pixels: {len(pixels)} EASE-Grid 2.0 36 km cells ({covered} contain NLDAS cell centres); "
          f"cells/pixel median {int(np.median(np.diff(w.indptr)[np.diff(w.indptr) > 0]))}")
    print(f"cpu cores: {os.cpu_count()}")
    print(f"cell->pixel weights:            {t_weights:8.3f} s")
    print(f"files (dask, chunk {args.chunk:>3} steps): {t_files:8.3f} s  {n_values / t_files / 1e6:8.1f} M cells/s")
    print(f"in-memory Dataset:              {t_mem:8.3f} s  {n_values / t_mem / 1e6:8.1f} M cells/s")
    print(f"output: {dict(mem_result.sizes)}; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")


if __name__ == "__main__":
    main()
