"""A canonical Dataset becomes (site, time, dynamic + statics) inputs and (site, time) targets, in the asked order."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from synergy_kedro.model.arrays import input_array, target_array

SITES = ["s0", "s1", "s2"]
TIME = pd.date_range("2000-01-01", periods=6, freq="D")


@pytest.fixture
def ds():
    rng = np.random.default_rng(0)
    prcp = rng.normal(size=(3, 6))
    prcp[1, 2] = np.nan
    q = rng.normal(size=(3, 6))
    q[0, 0] = np.nan
    return xr.Dataset({
        # stored (time, site) on purpose: the arrays follow the dimension names, not the storage order
        "tmean": (("time", "site"), rng.normal(size=(6, 3))),
        "prcp": (("site", "time"), prcp),
        "area": ("site", [10.0, np.nan, 30.0]),
        "slope": ("site", [1.0, 2.0, 3.0]),
        "q": (("site", "time"), q),
    }, coords={"site": SITES, "time": TIME})


def test_inputs_are_dynamics_then_statics_repeated_in_the_listed_order(ds):
    sites = ["s2", "s0"]
    x = input_array(ds, sites, ["prcp", "tmean"], ["slope", "area"])
    assert x.shape == (2, 6, 4) and x.dtype == np.float32
    for i, site in enumerate(sites):
        table = ds.sel(site=site).to_dataframe()  # an independent, per-site view
        for t in range(6):
            expected = [table["prcp"].iloc[t], table["tmean"].iloc[t], float(ds["slope"].sel(site=site)),
                        float(ds["area"].sel(site=site))]
            np.testing.assert_allclose(x[i, t], np.float32(expected))


def test_missing_inputs_become_zero_and_missing_targets_stay_nan(ds):
    x = input_array(ds, SITES, ["prcp"], ["area"])
    assert not np.isnan(x).any()
    assert x[1, 2, 0] == 0.0 and (x[1, :, 1] == 0.0).all()  # NaN prcp on one day; NaN area on every day
    y = target_array(ds, SITES, "q")
    assert y.dtype == np.float32 and np.isnan(y[0, 0]) and np.isnan(y).sum() == 1
    np.testing.assert_allclose(y[1:], ds["q"].values[1:].astype(np.float32))


def test_a_period_selects_its_days_inclusively(ds):
    period = ["2000-01-02", "2000-01-04"]
    x = input_array(ds, ["s1"], ["tmean"], ["slope"], period)
    y = target_array(ds, ["s1"], "q", period)
    assert x.shape == (1, 3, 2) and y.shape == (1, 3)
    np.testing.assert_allclose(x[0, :, 0], ds["tmean"].values[1:4, 1].astype(np.float32))
    np.testing.assert_allclose(y[0], ds["q"].values[1, 1:4].astype(np.float32))


def test_no_inputs_gives_an_empty_feature_axis(ds):
    x = input_array(ds, SITES, [], [], ["2000-01-01", "2000-01-03"])
    assert x.shape == (3, 3, 0) and x.dtype == np.float32


def test_an_unknown_site_is_an_error_not_a_silent_row(ds):
    with pytest.raises(KeyError):
        input_array(ds, ["s0", "nowhere"], ["prcp"], [])
