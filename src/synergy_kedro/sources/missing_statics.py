"""A site without one of its static attributes is dropped, filled by the user's rule, or an error; never silently.

After z-scoring, a missing input becomes 0, the training mean (as in hydroDL). For a forcing gap
of a few days that is harmless; for a static attribute it means the basin trains and is scored
*as if* it had the mean area or the mean soil depth, every day. ``features.static_missing``
chooses: ``drop`` (default: the site is left out, named in the log and the checks table),
``mean`` (kept, filled with the training mean, and said so), ``error`` (stop and name them).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import xarray as xr

from synergy_kedro.sources.errors import SourceDataError

log = logging.getLogger(__name__)

RULES = ("drop", "mean", "error")


class MissingStaticError(SourceDataError):
    """Sites lack static attributes and ``features.static_missing`` is ``error``."""


def handle_missing_statics(ds: xr.Dataset, static: Sequence[str], rule: str,
                           source: str) -> tuple[xr.Dataset, list[dict]]:
    """``ds`` after ``rule`` for sites with a missing static attribute, and one row per site and attribute."""
    missing = {name: ds[name].isnull().values for name in static if name in ds}
    any_missing = np.zeros(ds.sizes["site"], bool)
    for flags in missing.values():
        any_missing |= flags
    if not any_missing.any():
        return ds, []
    ids = ds["site"].values
    per_site = {str(s): [n for n, flags in missing.items() if flags[i]] for i, s in enumerate(ids) if any_missing[i]}
    listed = "; ".join(f"{s} ({', '.join(names)})" for s, names in list(per_site.items())[:20])
    if rule == "error":
        raise MissingStaticError(
            f"{source}: {len(per_site)} site(s) lack static attribute(s): {listed}. Fill them in the source, or set "
            "features.static_missing: drop (leave such sites out) or mean (use the training mean).")
    action = "site dropped" if rule == "drop" else "filled with the training mean"
    rows = [{"check": "missing_static", "variable": name, "site": site, "values": 1, "share": 1.0, "action": action}
            for site, names in per_site.items() for name in names]
    if rule == "mean":
        log.warning("%s: %d site(s) lack static attribute(s) and use the training mean instead "
                    "(features.static_missing: mean): %s", source, len(per_site), listed)
        return ds, rows
    if any_missing.all():
        raise MissingStaticError(f"{source}: every site lacks a static attribute ({listed}); check "
                                 "features.static against the source's attributes.")
    log.warning("%s: %d site(s) lack static attribute(s) and are left out (features.static_missing: drop; "
                "mean keeps them with the training mean): %s", source, len(per_site), listed)
    return ds.sel(site=ids[~any_missing]), rows
