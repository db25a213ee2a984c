"""The canonical (site, time) data model is checked once, and every fault is named in one message."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from synergy_kedro.core.canonical import (
    REQUIRED_COORDS,
    CanonicalDatasetError,
    check_periods,
    drop_sites_without_training_target,
    validate_canonical,
)
from synergy_kedro.core.errors import UserError

TIME = pd.date_range("2010-01-01", "2011-12-31", freq="D")
PERIODS = {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]}


def canonical(sites=("a", "b", "c")) -> xr.Dataset:
    n, t = len(sites), len(TIME)
    rng = np.random.default_rng(0)
    return xr.Dataset(
        {"prcp": (("site", "time"), rng.random((n, t))), "q": (("site", "time"), rng.random((n, t))),
         "area": ("site", rng.random(n))},
        coords={"site": list(sites), "time": TIME, "lat": ("site", np.linspace(30, 40, n)),
                "lon": ("site", np.linspace(-100, -90, n)),
                **{c: ("site", ["1"] * n) for c in ("eco_l1", "eco_l2", "eco_l3")}},
    )


def test_a_canonical_dataset_passes_and_is_returned_as_it_is():
    ds = canonical()
    assert validate_canonical(ds, dynamic=["prcp"], static=["area"], targets=["q"]) is ds


def test_every_problem_is_named_at_once_with_the_source():
    ds = canonical().drop_vars(["lat", "eco_l2"]).rename({"prcp": "precip"})
    ds["area"] = ds["area"].expand_dims(time=ds["time"]).transpose("site", "time")  # a static given per day
    with pytest.raises(CanonicalDatasetError) as caught:
        validate_canonical(ds, dynamic=["prcp"], static=["area"], targets=["q"], source="my_table")
    message = str(caught.value)
    assert message.startswith("my_table does not follow the canonical (site, time) data model")
    assert "coordinate 'lat' is missing" in message and "coordinate 'eco_l2' is missing" in message
    assert "variable 'prcp' is missing (have: ['area', 'precip', 'q'])" in message
    assert "variable 'area' has dims ('site', 'time'), expected ('site',)" in message
    assert "parameters_feature_engineering.yml" in message  # where to fix it
    assert "variable 'q'" not in message  # the good target is not blamed


def test_a_target_on_time_site_is_refused_naming_the_expected_layout():
    ds = canonical()
    ds["q"] = ds["q"].transpose("time", "site")
    with pytest.raises(CanonicalDatasetError, match=r"variable 'q' has dims \('time', 'site'\), expected \('site', 'time'\)"):
        validate_canonical(ds, targets=["q"])


def test_a_dataset_without_a_site_dimension_is_refused():
    ds = canonical().rename({"site": "basin"})
    with pytest.raises(CanonicalDatasetError, match="dimension 'site' is missing"):
        validate_canonical(ds)


@pytest.mark.parametrize("coord", REQUIRED_COORDS)
def test_each_required_coordinate_is_checked(coord):
    with pytest.raises(CanonicalDatasetError, match=f"coordinate '{coord}' is missing"):
        validate_canonical(canonical().drop_vars(coord))


def test_repeated_site_ids_are_refused():
    with pytest.raises(CanonicalDatasetError, match="site ids are not unique"):
        validate_canonical(canonical(("a", "b", "a")))


def test_the_error_is_a_user_error_and_a_value_error():
    assert issubclass(CanonicalDatasetError, UserError) and issubclass(CanonicalDatasetError, ValueError)


def test_periods_inside_the_data_and_in_order_pass():
    assert check_periods(canonical(), PERIODS) is None


@pytest.mark.parametrize("periods,message", [
    ({"train": ["2010-01-01", "2010-12-31"], "test": ["2010-12-31", "2011-06-30"]}, "periods overlap: test starts 2010-12-31"),
    ({"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2012-01-01"]}, r"fall outside dataset's data \(2010-01-01..2011-12-31\)"),
    ({"train": ["2010-01-01", "2010-12-31"], "test": ["2011-06-30", "2011-01-01"]}, "a period ends before it starts"),
])
def test_bad_periods_name_the_fault(periods, message):
    with pytest.raises(CanonicalDatasetError, match=message):
        check_periods(canonical(), periods)


def test_a_site_observed_only_in_the_test_period_is_dropped_and_logged(caplog):
    ds = canonical(("a", "b", "c"))
    ds["q"].loc[{"site": "b", "time": slice(*PERIODS["train"])}] = np.nan
    ds["q"].loc[{"site": "c"}] = np.nan
    ds["q"].loc[{"site": "c", "time": "2010-07-01"}] = 0.3  # one training day is enough
    with caplog.at_level(logging.WARNING):
        kept = drop_sites_without_training_target(ds, "q", PERIODS["train"])
    assert list(kept["site"].values) == ["a", "c"]
    assert "1 sites have no q observation in the training period and are left out: b" in caplog.text
    xr.testing.assert_identical(kept, ds.sel(site=["a", "c"]))


def test_no_site_with_a_training_observation_is_an_error_naming_the_target_and_period():
    ds = canonical()
    ds["q"].loc[{"time": slice(*PERIODS["train"])}] = np.nan
    with pytest.raises(CanonicalDatasetError, match=r"No site has a q observation in the training period \['2010-01-01', '2010-12-31'\]"):
        drop_sites_without_training_target(ds, "q", PERIODS["train"])
