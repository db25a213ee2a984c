"""SMAP L3 soil moisture + NLDAS-2 forcing + static layers → one (site, time) Dataset of pixels.

The assembly behind ``kedro run --env smap`` (``docs/data_smap.md``): the readers
(:mod:`.smap_l3`, :mod:`.nldas`, :mod:`.static_layers`) load each source as published; this
module selects the pixels, puts every source on the experiment's daily axis, averages the forcing
over each pixel's EASE-Grid 2.0 cell and checks the periods are covered. EPA codes and the shared
checks (:func:`synergy_kedro.core.canonical.validate_canonical` and the rest) follow in the
ingestion node.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.core.canonical import CanonicalDatasetError
from synergy_kedro.core.parameters import Features
from synergy_kedro.sources.nldas import aggregate_nldas_to_pixels
from synergy_kedro.sources.smap_l3 import ease2_pixel_bounds
from synergy_kedro.sources.static_layers import static_from_grid

log = logging.getLogger(__name__)


def assemble_smap_l3(smap_granules: xr.Dataset, nldas_forcing: xr.Dataset, static_layers: xr.Dataset,
                     ingestion: dict[str, Any], features: Features, target: str, periods: dict) -> xr.Dataset:
    """SMAP L3 pixels + NLDAS-2 forcing averaged over each pixel + statics: the canonical Dataset before EPA codes.

    * **Pixels** are the SPL3SMP cells SMAP retrieved (as loaded by ``smap_granules``), narrowed to
      ``ingestion.smap.bbox`` (cell centre) and thinned to every ``pixel_stride``-th row and column
      (from ``pixel_offset``; 4 and 3 give hydroDL's ``CONUSv4f1`` subset). Their footprints are the
      exact EASE-Grid 2.0 36 km cells.
    * **Forcing**: ``nldas_forcing`` (time, lat, lon; dask-backed or not) → daily UTC area means per
      pixel, ``ingestion.nldas.variables`` ``{NLDAS name: feature name}`` (sums for accumulations, means
      otherwise; ``how`` and ``time_shift`` as in :func:`~synergy_kedro.sources.nldas.aggregate_nldas_to_pixels`).
      Pixels without NLDAS cells (outside its domain, all water) are dropped and logged; a day of the
      periods without forcing is an error, not a silent zero input.
    * **Statics**: a per-site table (joined on site id) or gridded layers (area mean per pixel), the
      ``features.static`` variables.
    * **Time axis**: every day from the first to the last day of the periods; days without a granule
      are gaps of the target.

    Region labels (``eco_l1/2/3``) and the checks every source goes through are the ingestion
    node's (:func:`synergy_kedro.pipelines.ingestion.nodes.ingest_smap_l3`).
    """
    source = ingestion.get("source", "smap")
    smap_opts, nldas_opts = ingestion.get("smap") or {}, ingestion.get("nldas") or {}
    sm = _select_pixels(smap_granules, smap_opts, source)
    time = _experiment_days(periods)
    sm = sm.reindex(time=time)
    _check_target_coverage(sm, target, periods, source)

    bounds = ease2_pixel_bounds(sm["ease_row"].values, sm["ease_col"].values)
    off_grid = ~(np.isclose(bounds["lat"], sm["lat"].values, atol=0.01)
                 & np.isclose(bounds["lon"], sm["lon"].values, atol=0.01))
    if off_grid.any():
        raise CanonicalDatasetError(
            f"{source}: the granules' cell centres do not match the EASE-Grid 2.0 36 km grid (e.g. "
            f"{sm['site'].values[off_grid][0]}); only the standard 406 x 964 SPL3SMP grid is supported.")
    forcing = aggregate_nldas_to_pixels(nldas_forcing, bounds, nldas_opts.get("variables"), how=nldas_opts.get("how"),
                                        time_shift=nldas_opts.get("time_shift"))
    names = list(forcing.data_vars)
    covered = np.asarray(forcing[names].to_array().notnull().any(("variable", "time")))
    forcing = forcing.reindex(time=time)
    if not covered.all():
        log.warning("%d of %d pixels have no NLDAS-2 forcing (outside its domain or all water) and are left out: %s",
                    int((~covered).sum()), covered.size, list(sm["site"].values[~covered][:30]))
        if not covered.any():
            raise CanonicalDatasetError(
                f"{source}: no pixel has NLDAS-2 forcing; do the NLDAS files cover the SMAP pixels?")
        sm, forcing, bounds = sm.isel(site=covered), forcing.isel(site=covered), bounds[covered].reset_index(drop=True)
    _check_forcing_coverage(forcing, periods, source)

    statics = _statics(static_layers, bounds, list(features.static), source)
    ds = sm.assign({name: forcing[name].reset_coords(drop=True) for name in names})
    ds = ds.assign_coords(nldas_cells=("site", forcing["n_cells"].values, forcing["n_cells"].attrs))
    ds = ds.assign({name: statics[name] for name in statics.data_vars})
    ds.attrs = {"source": source, "description": "SMAP L3 (SPL3SMP) soil moisture on EASE-Grid 2.0 36 km pixels with"
                " daily NLDAS-2 forcing averaged over each pixel and static attributes",
                "quality": sm.attrs.get("quality", "")}
    return ds


def _select_pixels(sm: xr.Dataset, opts: dict, source: str) -> xr.Dataset:
    keep = np.ones(sm.sizes["site"], dtype=bool)
    bbox = opts.get("bbox")
    if bbox is not None:
        lat_min, lat_max, lon_min, lon_max = (float(v) for v in bbox)
        lat, lon = sm["lat"].values, sm["lon"].values
        keep &= (lat >= lat_min) & (lat <= lat_max) & (lon >= lon_min) & (lon <= lon_max)
    stride, offset = int(opts.get("pixel_stride") or 1), int(opts.get("pixel_offset") or 0)
    if stride > 1:
        keep &= ((sm["ease_row"].values - offset) % stride == 0) & ((sm["ease_col"].values - offset) % stride == 0)
    if not keep.any():
        raise CanonicalDatasetError(
            f"{source}: none of the {sm.sizes['site']} SMAP pixels is left after ingestion.smap "
            f"(bbox {bbox}, pixel_stride {stride}, pixel_offset {offset}).")
    log.info("%s: %d of %d SMAP pixels selected (bbox %s, stride %d)", source, int(keep.sum()), keep.size, bbox, stride)
    return sm.isel(site=keep)


def _experiment_days(periods: dict) -> pd.DatetimeIndex:
    dates = [pd.Timestamp(d) for d in (*periods["train"], *periods["test"])]
    return pd.date_range(min(dates).normalize(), max(dates).normalize(), freq="D", name="time")


def _in_periods(time: xr.DataArray, periods: dict) -> np.ndarray:
    t = pd.DatetimeIndex(time.values)
    return np.logical_or.reduce([(t >= pd.Timestamp(periods[p][0])) & (t <= pd.Timestamp(periods[p][1]))
                                 for p in ("train", "test")])


def _check_target_coverage(sm: xr.Dataset, target: str, periods: dict, source: str) -> None:
    """The test period needs observations too (training is checked by ``drop_sites_without_training_target``)."""
    if target not in sm:
        return  # validate_canonical names it
    days = {p: sm[target].sel(time=slice(*periods[p])).notnull().any("site") for p in ("train", "test")}
    log.info("%s: SMAP observed on %s", source,
             ", ".join(f"{int(d.sum())} of {d.size} days of the {p} period" for p, d in days.items()))
    if not days["test"].any():
        raise CanonicalDatasetError(
            f"{source}: no SMAP observation in the test period {list(periods['test'])}; are its granules under the "
            "smap_granules folder?")


def _check_forcing_coverage(forcing: xr.Dataset, periods: dict, source: str) -> None:
    """Every day of the periods needs forcing at every pixel (missing inputs would silently become the mean)."""
    in_periods = _in_periods(forcing["time"], periods)
    gaps = forcing.to_array().isnull().any(("variable", "site")).values & in_periods
    if gaps.any():
        missing = pd.DatetimeIndex(forcing["time"].values[gaps])
        raise CanonicalDatasetError(
            f"{source}: NLDAS-2 forcing is missing on {int(gaps.sum())} day(s) of the periods, e.g. "
            f"{', '.join(str(d.date()) for d in missing[:5])} (a day needs all its hourly steps, UTC). Download "
            "NLDAS files covering the periods or adjust periods in parameters.yml.")


def _statics(layers: xr.Dataset, bounds: pd.DataFrame, names: list[str], source: str) -> xr.Dataset:
    """``names`` per pixel from a per-site table (joined on id) or gridded (lat, lon) layers (area means)."""
    sites = bounds["site"].astype(str).to_numpy(dtype=object)
    if "site" in layers.dims:
        present = [n for n in names if n in layers.data_vars]  # an absent one is named by validate_canonical
        table = layers[present]
        known = pd.Index(table["site"].values.astype(str))
        lacking = pd.Index(sites).difference(known)
        if len(lacking) == len(sites):
            raise CanonicalDatasetError(
                f"{source}: no pixel id is in the static table (e.g. pixel {sites[0]!r}, table {list(known[:3])}); "
                "its ids must be EASE-Grid cells named rRRRcCCC.")
        if len(lacking):
            log.warning("%s: %d pixel(s) have no row in the static table; their statics are NaN: %s",
                        source, len(lacking), list(lacking[:30]))
        return table.assign_coords(site=known.to_numpy(dtype=object)).reindex(site=sites)
    present = [n for n in names if n in layers.data_vars]
    return static_from_grid(layers, bounds, present).drop_vars("n_cells")
