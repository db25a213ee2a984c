"""Raw source → canonical (site, time) Dataset, checked once here."""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import pandas as pd
import xarray as xr

from synergy_kedro.canonical import check_periods, drop_sites_without_training_target, validate_canonical
from synergy_kedro.membership import assign_epa_regions
from synergy_kedro.virtual_conus import generate_virtual_conus

log = logging.getLogger(__name__)


def generate_embedded(ingestion: dict[str, Any], features: dict, target: str, periods: dict) -> xr.Dataset:
    """The embedded virtual-CONUS dataset (no download), sized by ``ingestion.virtual_conus``."""
    ds = generate_virtual_conus(**ingestion.get("virtual_conus", {}))
    return _finish(ds, features, target, periods, "virtual_conus")


def ingest_basins(raw_basins: xr.Dataset, gages2_tables: pd.DataFrame, ecoregion_polygons: gpd.GeoDataFrame,
                  ingestion: dict[str, Any], features: dict, target: str, periods: dict) -> xr.Dataset:
    """Basins (Caravan or CAMELS-US) + GAGES-II columns + EPA codes of the polygon holding each gauge."""
    from synergy_kedro.sources.gages2 import attach_gages2

    ds = raw_basins
    columns = ingestion.get("gages2_columns") or []
    if columns:
        ds = attach_gages2(ds, gages2_tables, columns)
    ds = assign_epa_regions(ds, ecoregion_polygons)
    return _finish(ds, features, target, periods, ingestion.get("source", "basins"))


def ingest_pixels(raw_pixels: xr.Dataset, ecoregion_polygons: gpd.GeoDataFrame, ingestion: dict[str, Any],
                  features: dict, target: str, periods: dict) -> xr.Dataset:
    """Pixels (SMAP) + EPA codes of the polygon holding each pixel centre."""
    ds = assign_epa_regions(raw_pixels, ecoregion_polygons)
    return _finish(ds, features, target, periods, ingestion.get("source", "pixels"))


def _finish(ds: xr.Dataset, features: dict, target: str, periods: dict, source: str) -> xr.Dataset:
    validate_canonical(ds, features["dynamic"], features["static"], [target], source=source)
    check_periods(ds, periods, source)
    ds = drop_sites_without_training_target(ds, target, periods["train"])
    if "region" in ds.coords:
        ds = ds.drop_vars("region")  # partitioning owns the region of each scheme
    log.info("Ingested %s: %d sites × %d days", source, ds.sizes["site"], ds.sizes["time"])
    return ds
