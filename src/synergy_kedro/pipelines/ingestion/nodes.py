"""Raw source → canonical (site, time) Dataset, checked once here."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.core.canonical import check_periods, drop_sites_without_training_target, validate_canonical
from synergy_kedro.core.parameters import Features
from synergy_kedro.regions.membership import assign_epa_regions
from synergy_kedro.sources.missing_statics import handle_missing_statics
from synergy_kedro.sources.plausibility import check_runoff_ratio, mask_negative_runoff, mask_sentinels
from synergy_kedro.sources.value_checks import CHECK_COLUMNS, mask_out_of_bounds
from synergy_kedro.sources.virtual_conus import generate_virtual_conus

log = logging.getLogger(__name__)

#: The canonical dataset and the table of what its checks changed (``ingestion_checks``).
Ingested = tuple[xr.Dataset, pd.DataFrame]


def generate_embedded(ingestion: dict[str, Any], features: Features, target: str, periods: dict) -> Ingested:
    """The embedded virtual-CONUS dataset (no download), sized by ``ingestion.virtual_conus``."""
    ds = generate_virtual_conus(**ingestion.get("virtual_conus", {}))
    return _finish(ds, features, target, periods, "virtual_conus", ingestion)


def ingest_basins(raw_basins: xr.Dataset, gages2_tables: pd.DataFrame, ecoregion_polygons: gpd.GeoDataFrame,
                  ingestion: dict[str, Any], features: Features, target: str, periods: dict) -> Ingested:
    """Basins (Caravan or CAMELS-US) + GAGES-II columns + EPA codes of the polygon holding each gauge."""
    from synergy_kedro.sources.gages2 import attach_gages2

    ds = raw_basins
    columns = ingestion.get("gages2_columns") or []
    if columns:
        ds = attach_gages2(ds, gages2_tables, columns)
    ds = assign_epa_regions(ds, ecoregion_polygons)
    return _finish(ds, features, target, periods, ingestion.get("source", "basins"), ingestion)


def ingest_pixels(raw_pixels: xr.Dataset, ecoregion_polygons: gpd.GeoDataFrame, ingestion: dict[str, Any],
                  features: Features, target: str, periods: dict) -> Ingested:
    """Pixels (SMAP) + EPA codes of the polygon holding each pixel centre."""
    ds = assign_epa_regions(raw_pixels, ecoregion_polygons)
    return _finish(ds, features, target, periods, ingestion.get("source", "pixels"), ingestion)


def ingest_packed(packed_canonical: xr.Dataset, ingestion: dict[str, Any], features: Features, target: str,
                  periods: dict) -> Ingested:
    """A canonical dataset packed from another environment's ingestion: checked again, as any source."""
    return _finish(packed_canonical, features, target, periods,
                   f"packed ({packed_canonical.attrs.get('source', '?')})", ingestion)


def ingest_smap_l3(smap_granules: xr.Dataset, nldas_forcing: xr.Dataset, static_layers: xr.Dataset,
                   ecoregion_polygons: gpd.GeoDataFrame, ingestion: dict[str, Any], features: Features, target: str,
                   periods: dict) -> Ingested:
    """SMAP L3 pixels + NLDAS-2 forcing averaged over each pixel + statics + EPA codes of the pixel centre.

    The pixels, forcing and statics are assembled by
    :func:`~synergy_kedro.sources.smap_assembly.assemble_smap_l3` (which says how).
    """
    from synergy_kedro.sources.smap_assembly import assemble_smap_l3

    ds = assemble_smap_l3(smap_granules, nldas_forcing, static_layers, ingestion, features, target, periods)
    ds = assign_epa_regions(ds, ecoregion_polygons)
    return _finish(ds, features, target, periods, ingestion.get("source", "smap"), ingestion)


def ingest_table(table_timeseries: pd.DataFrame | dict, table_sites: pd.DataFrame,
                 ecoregion_polygons: gpd.GeoDataFrame | None, ingestion: dict[str, Any], features: Features, target: str,
                 periods: dict) -> Ingested:
    """Your own tables (:mod:`synergy_kedro.sources.table`) + EPA codes of the polygon holding each site, if given."""
    from synergy_kedro.sources.table import read_tables

    settings = ingestion.get("table") or {}
    ds = read_tables(table_timeseries, table_sites, features.dynamic, features.static, target,
                     units=settings.get("units"), label_column=settings.get("label_column"))
    return _finish(_with_regions(ds, ecoregion_polygons), features, target, periods, "table", ingestion)


def ingest_netcdf(netcdf_canonical: xr.Dataset, ecoregion_polygons: gpd.GeoDataFrame | None,
                  ingestion: dict[str, Any], features: Features, target: str, periods: dict) -> Ingested:
    """A (site, time) netCDF in the canonical layout (docs/your_data.md); EPA codes from the polygons where absent."""
    return _finish(_with_regions(netcdf_canonical, ecoregion_polygons), features, target, periods, "netcdf",
                   ingestion)


def _with_regions(ds: xr.Dataset, polygons: gpd.GeoDataFrame | None) -> xr.Dataset:
    """EPA codes from the polygons unless the data brings its own (a partitioning column needs none)."""
    has_codes = all(c in ds.coords for c in ("eco_l1", "eco_l2", "eco_l3")) and (
        ds["eco_l3"].astype(str) != "").any()
    if has_codes or polygons is None:
        if not has_codes:
            log.warning("No EPA ecoregion polygons (ecoregion_polygons) and no eco_l1/2/3 in the data: sites get no EPA "
                        "region; use partitioning.scheme: column with a label of your own, or add the polygons.")
            ds = ds.assign_coords({c: ("site", np.full(ds.sizes["site"], "", dtype=object))
                                   for c in ("eco_l1", "eco_l2", "eco_l3") if c not in ds.coords})
        return ds
    return assign_epa_regions(ds, polygons)


def _log_sites_without_test_target(ds: xr.Dataset, target: str, test_period: Sequence[str], source: str) -> None:
    """Such sites still train (the global and local models use them) but cannot be scored: say which."""
    observed = ds[target].sel(time=slice(*test_period)).notnull().any("time").values
    if not observed.all():
        ids = ds["site"].values[~observed]
        log.warning("%s: %d site(s) have no %s observation in the test period; they train but are not scored: %s",
                    source, len(ids), target, ", ".join(map(str, ids[:50])))


def _finish(ds: xr.Dataset, features: Features, target: str, periods: dict, source: str,
            ingestion: dict[str, Any] | None = None) -> Ingested:
    """Checks every source goes through: data model, periods, missing-value codes, physical plausibility.

    Returns the dataset and one row per site and variable that a check changed, so the run's
    reports can count them (``ingestion_checks``).
    """
    plausibility = (ingestion or {}).get("plausibility") or {}
    validate_canonical(ds, features.dynamic, features.static, [target], source=source)
    check_periods(ds, periods, source)
    ds = ds.sel(time=slice(periods["train"][0], periods["test"][1]))  # nothing outside is ever used
    variables = [*features.dynamic, *features.static, target]
    ds = mask_sentinels(ds, variables, source)
    if target == "streamflow":
        ds = mask_negative_runoff(ds, target, source)
    ds, rows = mask_out_of_bounds(ds, variables, plausibility, source)
    if target == "streamflow":
        ds = check_runoff_ratio(ds, target, periods["train"], plausibility, source)
    ds, missing = handle_missing_statics(ds, features.static, features.static_missing, source)
    before = ds["site"].values
    ds = drop_sites_without_training_target(ds, target, periods["train"])
    if getattr(target, "units", None):  # target_units: the user's word for labels and tables
        ds[target].attrs["units"] = target.units
    no_target = [{"check": "no_training_target", "variable": target, "site": str(s), "values": 0, "share": 1.0,
                  "action": "site dropped"} for s in sorted(set(before) - set(ds["site"].values))]
    _log_sites_without_test_target(ds, target, periods["test"], source)
    log.info("Ingested %s: %d sites × %d days", source, ds.sizes["site"], ds.sizes["time"])
    return ds, pd.DataFrame([*rows, *missing, *no_target], columns=list(CHECK_COLUMNS))
