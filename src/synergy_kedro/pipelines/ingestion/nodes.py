"""Raw source → canonical (site, time) Dataset."""

from __future__ import annotations

import logging
from typing import Any

import xarray as xr

from synergy_kedro.canonical import validate_canonical
from synergy_kedro.virtual_conus import generate_virtual_conus

log = logging.getLogger(__name__)

SOURCES = ("virtual_conus",)


def ingest(ingestion: dict[str, Any], features: dict[str, Any], target: str) -> xr.Dataset:
    """Build the canonical Dataset from the source named in ``ingestion.source`` and check it."""
    source = ingestion["source"]
    if source == "virtual_conus":
        ds = generate_virtual_conus(**ingestion.get("virtual_conus", {}))
    else:
        raise ValueError(f"ingestion.source={source!r} is not known; choose one of {SOURCES}.")
    log.info("Ingested %s: %d sites × %d days", source, ds.sizes["site"], ds.sizes["time"])
    return validate_canonical(ds, features["dynamic"], features["static"], [target], source=source)
