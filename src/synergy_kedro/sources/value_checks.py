"""Physical bounds per variable: a value no instrument or reanalysis can give is missing, not data.

One ``1e30`` in one basin's temperature sets the z-score statistics of temperature for every
basin (mean ~1e25), which leaves every other value at z ≈ 0: the input is silently gone. Values
outside ``ingestion.plausibility.bounds`` (a table by variable name, in the parameters so a user
can widen or add one) become missing and are counted per site and variable; a variable without
bounds is only required to be finite. Where more than ``max_share_out_of_range`` of a site's
values of a variable are out, the site is named: that is a unit or column mix-up more often than
a glitch. ``on_implausible: error`` stops the run at the first such variable instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from synergy_kedro.sources.errors import SourceDataError

log = logging.getLogger(__name__)

#: The columns of one row of the run's ``ingestion_checks`` table.
CHECK_COLUMNS = ("check", "variable", "site", "values", "share", "action")


class ImplausibleValueError(SourceDataError):
    """A variable holds values outside its physical bounds and the user asked to stop on them."""


def mask_out_of_bounds(ds: xr.Dataset, variables: Sequence[str], settings: Mapping[str, Any],
                       source: str) -> tuple[xr.Dataset, list[dict]]:
    """Values outside their variable's bounds (or not finite) become missing; one row per site and variable."""
    bounds = settings.get("bounds") or {}
    max_share = float(settings.get("max_share_out_of_range", 0.01))
    updates, rows = {}, []
    for name in variables:
        if name not in ds or ds[name].dtype.kind != "f":
            continue
        low, high = _bounds(bounds.get(name))
        bad = _outside(ds[name], low, high)
        count = int(bad.sum())
        if not count:
            continue
        per_site = bad.sum("time") if "time" in bad.dims else bad
        shares = per_site / (ds[name].notnull().sum("time") if "time" in bad.dims else 1)
        hit = per_site.values > 0
        sites, counts, site_shares = ds["site"].values[hit], per_site.values[hit], shares.values[hit]
        allowed = _describe(low, high, ds[name].attrs.get("units"))
        if settings.get("on_implausible", "missing") == "error":
            raise ImplausibleValueError(
                f"{source}: {count} value(s) of {name} are outside {allowed} (first at site {sites[0]}). Fix the "
                f"source, widen ingestion.plausibility.bounds.{name} if such values are real, or set "
                "ingestion.plausibility.on_implausible: missing to treat them as missing.")
        _warn(source, name, allowed, count, sites, counts, site_shares, max_share)
        updates[name] = ds[name].where(~bad)
        rows += [{"check": "out_of_bounds", "variable": name, "site": str(s), "values": int(c), "share": float(f),
                  "action": "set missing"} for s, c, f in zip(sites, counts, site_shares, strict=False)]
    return (ds.assign(updates) if updates else ds), rows


def _bounds(pair: Sequence[float | None] | None) -> tuple[float, float]:
    low, high = pair if pair is not None else (None, None)
    return (-np.inf if low is None else float(low)), (np.inf if high is None else float(high))


def _outside(values: xr.DataArray, low: float, high: float) -> xr.DataArray:
    """True where a present value is infinite or outside [low, high] (NaN is already missing)."""
    return values.notnull() & ~((values >= low) & (values <= high) & np.isfinite(values))


def _describe(low: float, high: float, units: str | None) -> str:
    if np.isinf(low) and np.isinf(high):
        return "the finite numbers"
    unit = f" {units}" if units and units not in ("-", "1", "unknown") else ""
    return f"[{low:g}, {high:g}]{unit}"


def _warn(source: str, name: str, allowed: str, count: int, sites: np.ndarray, counts: np.ndarray,
          shares: np.ndarray, max_share: float) -> None:
    listed = ", ".join(f"{s} ({c})" for s, c in list(zip(sites, counts, strict=False))[:20])
    log.warning("%s: %d value(s) of %s outside %s are treated as missing, at %d site(s): %s", source, count, name,
                allowed, len(sites), listed)
    many = sites[shares > max_share]
    if len(many):
        log.warning("%s: more than %g%% of the %s values of %d site(s) are outside %s (wrong units or column?): %s",
                    source, 100 * max_share, name, len(many), allowed, ", ".join(map(str, many[:20])))
