"""Checks that a Dataset follows the project's canonical data model.

Every source ends as one ``xarray.Dataset`` with dims (site, time): dynamic inputs and targets
on (site, time), statics on (site), coordinates ``lat``, ``lon``, ``eco_l1``, ``eco_l2``,
``eco_l3``. Checking once, right after ingestion, turns a misnamed column in a user's file into
one clear message instead of a KeyError deep inside training.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd
import xarray as xr

from synergy_kedro.core.errors import UserError

log = logging.getLogger(__name__)

REQUIRED_COORDS = ("lat", "lon", "eco_l1", "eco_l2", "eco_l3")


class CanonicalDatasetError(UserError, ValueError):
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


def check_periods(ds: xr.Dataset, periods: dict, source: str = "dataset") -> None:
    """Training must end before testing starts, and both must lie inside the data's time axis."""
    train, test = [pd.Timestamp(d) for d in periods["train"]], [pd.Timestamp(d) for d in periods["test"]]
    first, last = pd.Timestamp(ds["time"].values[0]), pd.Timestamp(ds["time"].values[-1])
    if train[0] > train[1] or test[0] > test[1]:
        raise CanonicalDatasetError(f"periods: a period ends before it starts (train {periods['train']}, test {periods['test']}).")
    if test[0] <= train[1]:
        raise CanonicalDatasetError(
            f"periods overlap: test starts {test[0].date()} but training ends {train[1].date()}; the paper tests "
            "temporal generalisation, so set periods.test to start after periods.train.")
    if train[0] < first or test[1] > last:
        raise CanonicalDatasetError(
            f"periods {periods['train'][0]}..{periods['test'][1]} fall outside {source}'s data "
            f"({first.date()}..{last.date()}); adjust periods in parameters.yml.")


def drop_sites_without_training_target(ds: xr.Dataset, target: str, train_period: Sequence[str]) -> xr.Dataset:
    """Sites with no observed target in the training period cannot train or be judged: drop and log them."""
    observed = ds[target].sel(time=slice(*train_period)).notnull().any("time")
    dropped = ds["site"].values[~observed.values]
    if len(dropped):
        log.warning("%d sites have no %s observation in the training period and are left out: %s",
                    len(dropped), target, ", ".join(map(str, dropped[:50])))
    if len(dropped) == ds.sizes["site"]:
        raise CanonicalDatasetError(f"No site has a {target} observation in the training period {list(train_period)}.")
    return ds.sel(site=ds["site"].values[observed.values])
