"""NLDAS-2 forcing on its 1/8° grid → daily values per 36 km pixel (canonical (site, time) Dataset).

The paper's inputs are NLDAS-2 FORA forcing averaged to SMAP's 36 km pixels. This module does the
two reductions, both vectorised and dask-friendly so multi-year hourly files need not fit in
memory:

Space
    A pixel's value is the **area-weighted mean of the 1/8° cells whose centres fall inside its
    footprint** (``lat_min <= lat < lat_max`` and ``lon_min <= lon < lon_max``, half-open so a cell
    on a shared edge counts once). Cell area on a lat/lon grid is proportional to cos(lat), which
    is the weight. Missing cells (NaN: NLDAS masks water and land outside its domain) are left out
    of the mean, so a coastal pixel is the mean of its land cells; a pixel with no valid cell is
    NaN. The cell → pixel map is built once as a sparse (pixel × cell) weight matrix
    (:func:`pixel_weights`) and applied to each block of time steps as one sparse product
    (:func:`area_mean`); overlapping footprints are allowed.
Time
    Daily values are UTC calendar days, with time stamps read as the *start* of each accumulation
    interval (as in GES DISC's NLDAS-2 hourly files: 00Z covers 00–01Z; pass ``time_shift="-1h"``
    for end-of-interval stamps). Accumulated fields (``APCP``, ``PEVAP``, netCDF-4 ``Rainf``,
    ``PotEvap``: see :data:`SUM_VARIABLES`) are **summed** over the day; all others (state
    variables and fluxes given as rates: ``TMP``, ``SPFH``, ``PRES``, ``UGRD``, ``VGRD``,
    ``DSWRF``, ``DLWRF``, ...) are **averaged**. A day with fewer time steps than the series'
    step implies (e.g. 23 of 24 hours at a file edge) is NaN for every variable, since a partial
    sum or a partial diurnal mean would be biased; a NaN hour makes the day NaN.

Note: the hydroDL csv database (:mod:`synergy_kedro.sources.smap_csv`) stores precipitation
``APCP_FORA`` as the daily *mean* hourly rate [kg m-2 h-1]; this module's ``APCP`` is the daily
*total* [kg m-2 d-1 = mm/d], 24 × larger. Rename on purpose, not by accident.

Spatial aggregation is done before the temporal one: it shrinks the data from ~100 000 cells to
a few thousand pixels first, and the order does not matter when no cell is missing (both are
linear). With missing cells, a cell NaN in one hour is left out of that hour's pixel mean only.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
import xarray as xr

from synergy_kedro.core.errors import ConfigurationError, UserError
from synergy_kedro.core.progress import dask_progress

log = logging.getLogger(__name__)

#: Variables accumulated over each time step (summed to daily totals).
SUM_VARIABLES = frozenset({"APCP", "PEVAP", "ACPCP", "Rainf", "PotEvap", "CRainf"})

#: NLDAS-2 FORA variables (GRIB short names) used by the paper, kept under their names.
DEFAULT_VARIABLES: dict[str, str] = {
    v: v for v in ("APCP", "TMP", "SPFH", "PRES", "UGRD", "VGRD", "DSWRF", "DLWRF")
}

#: (units of one time step, long_name) used where the file's variable has no ``units`` attribute.
NLDAS_ATTRS: dict[str, tuple[str, str]] = {
    "APCP": ("kg m-2", "precipitation"),
    "TMP": ("K", "2 m air temperature"),
    "SPFH": ("kg kg-1", "2 m specific humidity"),
    "PRES": ("Pa", "surface pressure"),
    "UGRD": ("m s-1", "10 m zonal wind"),
    "VGRD": ("m s-1", "10 m meridional wind"),
    "DSWRF": ("W m-2", "downward shortwave radiation at the surface"),
    "DLWRF": ("W m-2", "downward longwave radiation at the surface"),
    "PEVAP": ("kg m-2", "potential evaporation"),
}

BOUNDS_COLUMNS = ("site", "lat_min", "lat_max", "lon_min", "lon_max")


class NldasError(UserError, ValueError):
    """NLDAS input files or pixel footprints cannot be used as given."""


def grid_dims(obj: xr.Dataset | xr.DataArray) -> tuple[str, str]:
    """Names of the latitude and longitude dimensions (``lat``/``lon`` or ``latitude``/``longitude``)."""
    for lat, lon in (("lat", "lon"), ("latitude", "longitude")):
        if lat in obj.dims and lon in obj.dims:
            return lat, lon
    raise NldasError(f"No lat/lon (or latitude/longitude) dimensions; dims are {tuple(obj.dims)}.")


def check_pixel_bounds(pixel_bounds: pd.DataFrame) -> pd.DataFrame:
    """``pixel_bounds`` with a ``site`` column, checked: required columns, unique ids, min < max."""
    pb = pixel_bounds if "site" in pixel_bounds.columns else pixel_bounds.rename_axis("site").reset_index()
    missing = [c for c in BOUNDS_COLUMNS if c not in pb.columns]
    if missing:
        raise NldasError(f"pixel_bounds lacks column(s) {missing}; it has {list(pb.columns)}.")
    if pb["site"].duplicated().any():
        raise NldasError(f"pixel_bounds repeats site ids, e.g. {pb['site'][pb['site'].duplicated()].iloc[0]!r}.")
    bad = ~((pb["lat_min"] < pb["lat_max"]) & (pb["lon_min"] < pb["lon_max"]))
    if bad.any():
        raise NldasError(f"pixel_bounds has min >= max for site(s) {pb['site'][bad].head(5).tolist()}.")
    return pb.reset_index(drop=True)


def pixel_weights(cell_lat: np.ndarray, cell_lon: np.ndarray, pixel_bounds: pd.DataFrame) -> sp.csr_matrix:
    """Sparse (pixel × cell) area weights of a regular lat/lon grid, cells flattened lat-major.

    Row ``p`` holds cos(lat) of the cells whose centres lie in pixel ``p`` (unnormalised: the
    NaN-aware normalisation happens in :func:`area_mean`). Built without a loop over pixels: each
    pixel covers a block of consecutive latitudes × longitudes of the sorted axes, found with
    ``searchsorted``, and the blocks are enumerated with ``repeat``/``cumsum`` index arithmetic.
    """
    pb = check_pixel_bounds(pixel_bounds)
    lat, lon = np.asarray(cell_lat, np.float64), np.asarray(cell_lon, np.float64)
    lon = np.where(lon >= 180.0, lon - 360.0, lon)  # 0..360 grids → -180..180
    lat_order, lon_order = np.argsort(lat, kind="stable"), np.argsort(lon, kind="stable")
    lat_s, lon_s = lat[lat_order], lon[lon_order]
    i0 = np.searchsorted(lat_s, pb["lat_min"].to_numpy(float), side="left")
    i1 = np.searchsorted(lat_s, pb["lat_max"].to_numpy(float), side="left")
    j0 = np.searchsorted(lon_s, pb["lon_min"].to_numpy(float), side="left")
    j1 = np.searchsorted(lon_s, pb["lon_max"].to_numpy(float), side="left")
    n_lat, n_lon = i1 - i0, j1 - j0
    per_pixel = n_lat * n_lon
    pixel = np.repeat(np.arange(len(pb)), per_pixel)
    k = np.arange(per_pixel.sum()) - np.repeat(np.cumsum(per_pixel) - per_pixel, per_pixel)
    n_lon_rep = np.repeat(n_lon, per_pixel)
    ii = lat_order[np.repeat(i0, per_pixel) + k // np.maximum(n_lon_rep, 1)]
    jj = lon_order[np.repeat(j0, per_pixel) + k % np.maximum(n_lon_rep, 1)]
    w = np.cos(np.deg2rad(lat[ii]))
    return sp.csr_matrix((w, (pixel, ii * lon.size + jj)), shape=(len(pb), lat.size * lon.size))


def _area_mean_block(block: np.ndarray, weights: sp.csr_matrix) -> np.ndarray:
    """(..., lat, lon) → (..., pixel): NaN-aware weighted means as sparse (pixel × cell) products.

    The weight total of the valid cells is computed once per block when the NaN pattern is the
    same at every step (NLDAS's fixed water mask), else per step.
    """
    lead = block.shape[:-2]
    x = block.reshape(-1, block.shape[-2] * block.shape[-1])
    valid = np.isfinite(x)
    if valid.all():
        total = weights @ np.ascontiguousarray(x.T, dtype=np.float64)
        norm = np.asarray(weights.sum(axis=1))
    else:
        total = weights @ np.ascontiguousarray(np.where(valid, x, 0.0).T, dtype=np.float64)
        if (valid == valid[:1]).all():
            norm = (weights @ valid[0].astype(np.float64))[:, None]
        else:
            norm = weights @ np.ascontiguousarray(valid.T, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(norm > 0, total / norm, np.nan)
    return np.ascontiguousarray(out.T, dtype=np.float32).reshape(lead + (weights.shape[0],))


def area_mean(da: xr.DataArray, weights: sp.csr_matrix, site: Sequence[str]) -> xr.DataArray:
    """Area mean of ``da`` (…, lat, lon) per pixel → (…, site) float32; lazy when ``da`` is dask-backed."""
    lat, lon = grid_dims(da)
    if weights.shape[1] != da.sizes[lat] * da.sizes[lon]:
        raise NldasError(f"weights are for {weights.shape[1]} cells, the grid has {da.sizes[lat]} × {da.sizes[lon]}.")
    if da.chunks is not None:
        da = da.chunk({lat: -1, lon: -1})  # one block must hold whole grids
    out = xr.apply_ufunc(
        _area_mean_block, da, kwargs={"weights": weights},
        input_core_dims=[[lat, lon]], output_core_dims=[["site"]],
        dask="parallelized", output_dtypes=[np.float32],
        dask_gufunc_kwargs={"output_sizes": {"site": weights.shape[0]}},
    )
    return out.assign_coords(site=np.asarray(list(site), dtype=object))


def _daily(da: xr.DataArray, how: str, complete: xr.DataArray) -> xr.DataArray:
    """Daily sum or mean of (time, site) values (NaN propagates), NaN on incomplete days."""
    r = da.resample(time="1D")
    day = r.sum(skipna=False) if how == "sum" else r.mean(skipna=False)
    return day.where(complete)


def _steps_per_day(time: pd.DatetimeIndex, where: str) -> int:
    """Time steps one complete day has: 86400 s / the median step (1 for daily or coarser data)."""
    if time.has_duplicates or not time.is_monotonic_increasing:
        raise NldasError(f"{where}: time stamps are duplicated or not increasing (overlapping files?).")
    if len(time) < 2:
        return 1
    step = pd.Timedelta(np.median(np.diff(time.values)))
    return max(1, round(pd.Timedelta(days=1) / step))


def _open(source: Sequence[Path] | Path | xr.Dataset, chunks: Mapping[str, int]) -> tuple[xr.Dataset, str]:
    if isinstance(source, xr.Dataset):
        return source, "the given Dataset"
    paths = [Path(source)] if isinstance(source, (str, Path)) else [Path(p) for p in source]
    if not paths:
        raise NldasError("No NLDAS files given.")
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise NldasError(f"NLDAS file(s) do not exist: {missing[:5]}.")
    try:
        ds = xr.open_mfdataset(paths, combine="by_coords", chunks=dict(chunks), data_vars="minimal",
                               coords="minimal", compat="override", parallel=False)
    except (OSError, ValueError) as exc:
        raise NldasError(f"Cannot open NLDAS files {[str(p) for p in paths[:3]]}{' …' if len(paths) > 3 else ''}: {exc}") from exc
    return ds, f"NLDAS files {paths[0]}{' …' if len(paths) > 1 else ''}"


def aggregate_nldas_to_pixels(
    files: Sequence[Path] | Path | xr.Dataset,
    pixel_bounds: pd.DataFrame,
    variables: Mapping[str, str] | None = None,
    *,
    how: Mapping[str, str] | None = None,
    chunks: Mapping[str, int] | None = None,
    time_shift: str | None = None,
    compute: bool = True,
) -> xr.Dataset:
    """Daily pixel means of NLDAS-2 forcing, as a canonical (site, time) Dataset.

    Args:
        files: netCDF files (opened lazily with dask, ``chunks`` along time; combined by
            coordinates) or an already open Dataset (numpy- or dask-backed).
        pixel_bounds: one row per pixel with ``site, lat_min, lat_max, lon_min, lon_max`` [deg]
            (``site`` may be the index) and optionally ``lat``, ``lon`` centres (else the
            midpoints); e.g. :func:`synergy_kedro.sources.smap_l3.ease2_pixel_bounds`.
        variables: ``{NLDAS name: output name}``; default :data:`DEFAULT_VARIABLES`.
        how: ``{NLDAS name: "sum" | "mean"}`` overriding the rule (sum for :data:`SUM_VARIABLES`).
        chunks: dask chunks for opening files; default 96 time steps (4 days of hours) per block.
        time_shift: e.g. ``"-1h"`` for end-of-interval time stamps (see module doc).
        compute: load the result (default) or return it lazily.

    Returns:
        Dataset (site, time) of float32 daily values with ``units`` (sums per day: ``kg m-2 d-1``),
        coords ``lat``, ``lon``, ``eco_l1/2/3`` (``""``) and ``n_cells`` (cells per pixel).
    """
    variables = dict(DEFAULT_VARIABLES if variables is None else variables)
    how = dict(how or {})
    pb = check_pixel_bounds(pixel_bounds)
    ds, where = _open(files, chunks or {"time": 96})
    missing = [v for v in variables if v not in ds.data_vars]
    if missing:
        raise NldasError(f"{where} lacks variable(s) {missing}; it has {sorted(ds.data_vars)}.")
    if "time" not in ds.dims:
        raise NldasError(f"{where} has no 'time' dimension (dims {tuple(ds.dims)}).")
    lat_name, lon_name = grid_dims(ds)
    if time_shift:
        ds = ds.assign_coords(time=ds["time"] + pd.Timedelta(time_shift))
    time = pd.DatetimeIndex(ds["time"].values)
    steps = _steps_per_day(time, where)
    counts = pd.Series(1, index=time).resample("1D").count()
    complete = xr.DataArray((counts == steps).to_numpy(), coords={"time": counts.index.values}, dims="time")
    if not complete.all():
        log.info("%s: %d of %d days have fewer than %d steps and are NaN", where, int((~complete).sum()), complete.size, steps)

    weights = pixel_weights(ds[lat_name].values, ds[lon_name].values, pb)
    n_cells = np.diff(weights.indptr)
    if (n_cells == 0).any():
        log.warning("%d pixel(s) contain no NLDAS cell centre and are NaN, e.g. %s",
                    int((n_cells == 0).sum()), pb["site"][n_cells == 0].head(3).tolist())
    site = pb["site"].astype(str).to_numpy(dtype=object)

    out = {}
    for src, name in variables.items():
        rule = how.get(src, "sum" if src in SUM_VARIABLES else "mean")
        if rule not in ("sum", "mean"):
            raise ConfigurationError(f"how[{src!r}] must be 'sum' or 'mean', not {rule!r}")
        da = ds[src]
        if set(da.dims) != {"time", lat_name, lon_name}:
            raise NldasError(f"{where}: {src} has dims {da.dims}, expected (time, {lat_name}, {lon_name}).")
        pixel = area_mean(da.transpose("time", lat_name, lon_name), weights, site)
        if compute:
            # The (time, pixel) series is small; a daily resample of a dask array builds one reduction
            # per day (seconds per variable for a few months), so resample it in memory.
            with dask_progress():
                pixel = pixel.compute()
        daily = _daily(pixel, rule, complete).transpose("site", "time").astype(np.float32)
        units, long_name = NLDAS_ATTRS.get(src, (da.attrs.get("units", "unknown"), src))
        units = da.attrs.get("units", units)
        if rule == "sum":
            units = "kg m-2 d-1" if units.replace(" ", "") in ("kgm-2", "kg/m^2", "kg/m2", "mm") else f"{units} d-1"
        daily.attrs = {"units": units, "long_name": f"daily {rule} of {da.attrs.get('long_name', long_name)} (NLDAS-2 {src}),"
                       " area mean over the pixel's 1/8 degree cells", "nldas_name": src, "daily_aggregation": rule}
        out[name] = daily

    lat_c = pb["lat"].to_numpy(float) if "lat" in pb else (pb["lat_min"] + pb["lat_max"]).to_numpy(float) / 2
    lon_c = pb["lon"].to_numpy(float) if "lon" in pb else (pb["lon_min"] + pb["lon_max"]).to_numpy(float) / 2
    empty = np.full(len(site), "", dtype=object)
    result = xr.Dataset(out, coords={
        "site": ("site", site),
        "lat": ("site", lat_c, {"units": "degrees_north", "long_name": "pixel centre latitude"}),
        "lon": ("site", lon_c, {"units": "degrees_east", "long_name": "pixel centre longitude"}),
        "eco_l1": ("site", empty.copy(), {"long_name": "EPA NA level-I ecoregion code"}),
        "eco_l2": ("site", empty.copy(), {"long_name": "EPA NA level-II ecoregion code"}),
        "eco_l3": ("site", empty.copy(), {"long_name": "EPA NA level-III ecoregion code"}),
        "n_cells": ("site", n_cells.astype(np.int32), {"long_name": "NLDAS 1/8 degree cells in the pixel"}),
    }, attrs={"source": "nldas", "description": "NLDAS-2 forcing, daily (UTC) and area-averaged to pixels"})
    result["time"] = result["time"].values.astype("datetime64[ns]")
    if not compute:
        return result
    with dask_progress():
        result = result.compute()
    if not isinstance(files, xr.Dataset):
        ds.close()
    return result
