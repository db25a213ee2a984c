"""Checks that a Dataset follows the project's canonical data model.

Every source ends as one ``xarray.Dataset`` with dims (site, time): dynamic inputs and targets
on (site, time), statics on (site), coordinates ``lat``, ``lon``, ``eco_l1``, ``eco_l2``,
``eco_l3``. Checking once, right after ingestion, turns a misnamed column in a user's file into
one clear message instead of a KeyError deep inside training.
"""

from __future__ import annotations

from collections.abc import Sequence

import xarray as xr

REQUIRED_COORDS = ("lat", "lon", "eco_l1", "eco_l2", "eco_l3")


class CanonicalDatasetError(ValueError):
    """The Dataset misses a variable, a coordinate or the (site, time) layout."""


def validate_canonical(
    ds: xr.Dataset, dynamic: Sequence[str] = (), static: Sequence[str] = (), targets: Sequence[str] = (), source: str = "dataset"
) -> xr.Dataset:
    """Raise :class:`CanonicalDatasetError` naming every problem at once; return ``ds`` unchanged."""
    problems = []
    for dim in ("site", "time"):
        if dim not in ds.dims:
            problems.append(f"dimension {dim!r} is missing (dims are {tuple(ds.dims)})")
    problems += [f"coordinate {c!r} is missing" for c in REQUIRED_COORDS if c not in ds.coords]
    for names, dims in ((dynamic, ("site", "time")), (targets, ("site", "time")), (static, ("site",))):
        for name in names:
            if name not in ds:
                problems.append(f"variable {name!r} is missing (have: {sorted(ds.data_vars)})")
            elif tuple(ds[name].dims) != dims:
                problems.append(f"variable {name!r} has dims {ds[name].dims}, expected {dims}")
    if "site" in ds.dims and ds.sizes["site"] == 0:
        problems.append("it holds no sites")
    if "site" in ds.indexes and ds.indexes["site"].has_duplicates:
        problems.append("site ids are not unique")
    if problems:
        raise CanonicalDatasetError(
            f"{source} does not follow the canonical (site, time) data model:\n  - " + "\n  - ".join(problems)
            + "\nFix the source's column/variable names in conf (parameters_feature_engineering.yml, features)"
            " or the reader's mapping."
        )
    return ds
