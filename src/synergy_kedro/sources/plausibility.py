"""Values no model should learn from: sentinel codes, negative runoff, basins whose water balance cannot close.

Published files mark gaps with codes (CAMELS-US writes −999 for missing discharge, other tables
−9999); read as numbers they would train the model on a flood of negative water. Runoff below zero
is not physical for a daily mean. A basin that gives off more water than falls on it (runoff
ratio mean(q)/mean(p) well above 1 over the training years) has a wrong area, a wrong gauge or
inter-basin transfers; it is flagged by id, and dropped only if the user asks, because karst and
snow-fed basins can legitimately reach ratios near 1.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import xarray as xr

log = logging.getLogger(__name__)

SENTINELS = (-999.0, -9999.0)


def mask_sentinels(ds: xr.Dataset, variables: Sequence[str], source: str) -> xr.Dataset:
    """Sentinel codes in ``variables`` become missing; each masked count is logged."""
    updates = {}
    for name in variables:
        if name not in ds or ds[name].dtype.kind != "f":
            continue
        is_code = ds[name].isin(SENTINELS)
        count = int(is_code.sum())
        if count:
            log.warning("%s: %d value(s) of %s are missing-value codes (%s) and are treated as missing.", source,
                        count, name, "/".join(f"{c:g}" for c in SENTINELS))
            updates[name] = ds[name].where(~is_code)
    return ds.assign(updates) if updates else ds


def mask_negative_runoff(ds: xr.Dataset, target: str, source: str) -> xr.Dataset:
    """Negative daily runoff becomes missing (logged with the basins it occurred at)."""
    negative = ds[target] < 0
    count = int(negative.sum())
    if not count:
        return ds
    sites = ds["site"].values[negative.any("time").values]
    log.warning("%s: %d negative %s value(s) at %d basin(s) are treated as missing: %s", source, count, target,
                len(sites), ", ".join(map(str, sites[:30])))
    return ds.assign({target: ds[target].where(~negative)})


def implausible_runoff_ratio(ds: xr.Dataset, target: str, precipitation: str, train_period: Sequence[str],
                             max_ratio: float) -> dict[str, float]:
    """Basins whose mean runoff over mean precipitation (training period, days with both) exceeds ``max_ratio``."""
    if precipitation not in ds:
        return {}
    span = ds[[target, precipitation]].sel(time=slice(*train_period))
    both = span[target].notnull() & span[precipitation].notnull()
    q = span[target].where(both).mean("time")
    p = span[precipitation].where(both).mean("time")
    ratio = (q / p.where(p > 0)).values
    flagged = np.isfinite(ratio) & (ratio > max_ratio)
    return {str(s): float(r) for s, r in zip(ds["site"].values[flagged], ratio[flagged], strict=False)}


def check_runoff_ratio(ds: xr.Dataset, target: str, train_period: Sequence[str], settings: dict,
                       source: str) -> xr.Dataset:
    """Warn about (and with ``drop_implausible`` drop) basins above ``max_runoff_ratio``."""
    flagged = implausible_runoff_ratio(ds, target, settings.get("precipitation", "prcp"), train_period,
                                       float(settings.get("max_runoff_ratio", 1.5)))
    if not flagged:
        return ds
    listed = ", ".join(f"{s} ({r:.2f})" for s, r in list(flagged.items())[:30])
    drop = bool(settings.get("drop_implausible", False))
    log.warning("%s: %d basin(s) give off more water than falls on them (runoff ratio above %s): %s. %s", source,
                len(flagged), settings.get("max_runoff_ratio", 1.5), listed,
                "They are left out (ingestion.plausibility.drop_implausible)." if drop else
                "Check their area and gauge; set ingestion.plausibility.drop_implausible: true to leave them out.")
    return ds.drop_sel(site=list(flagged)) if drop else ds
