"""Missing-value codes, negative runoff and impossible water balances never reach a model unannounced."""

import logging

import numpy as np
import pytest

from synergy_kedro.pipelines.ingestion.nodes import _finish
from synergy_kedro.sources.virtual_conus import generate_virtual_conus
from tests.parameter_blocks import block

FEATURES = block("features", dynamic=["prcp", "tmean"], static=["aridity"])
PERIODS = {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]}


@pytest.fixture(scope="module")
def raw():
    return generate_virtual_conus(sites_per_subregion=1, sites_per_focus_l3=0, focus_l3_codes=[], n_years=2, seed=3)


def _ingest(ds, caplog, **plausibility):
    with caplog.at_level(logging.WARNING):
        return _finish(ds, FEATURES, "streamflow", PERIODS, "test source", {"plausibility": plausibility})[0]


def test_sentinel_codes_become_missing_and_are_counted(raw, caplog):
    ds = raw.copy(deep=True)
    ds["streamflow"][0, :5] = -999.0
    ds["prcp"][1, :3] = -9999.0
    out = _ingest(ds, caplog)
    assert out["streamflow"][0, :5].isnull().all() and out["prcp"][1, :3].isnull().all()
    assert "5 value(s) of streamflow are missing-value codes" in caplog.text
    assert "3 value(s) of prcp are missing-value codes" in caplog.text


def test_negative_runoff_becomes_missing_and_names_the_basin(raw, caplog):
    ds = raw.copy(deep=True)
    ds["streamflow"][2, 10:12] = -0.5
    out = _ingest(ds, caplog)
    assert out["streamflow"][2, 10:12].isnull().all()
    assert f"2 negative streamflow value(s) at 1 basin(s) are treated as missing: {raw.site.values[2]}" in caplog.text
    assert float(out["streamflow"].min()) >= 0


def test_a_basin_with_more_runoff_than_rain_is_named_and_dropped_on_request(raw, caplog):
    ds = raw.copy(deep=True)
    bad = str(raw.site.values[4])
    ds["streamflow"][4] = ds["prcp"][4] * 3  # ratio 3
    kept = _ingest(ds, caplog)
    assert bad in kept.site.values
    assert f"{bad} (3.00)" in caplog.text and "drop_implausible: true" in caplog.text
    caplog.clear()
    dropped = _ingest(ds, caplog, drop_implausible=True, max_runoff_ratio=1.5)
    assert bad not in dropped.site.values and dropped.sizes["site"] == raw.sizes["site"] - 1
    ratio = (raw["streamflow"].mean("time") / raw["prcp"].mean("time")).values
    assert np.nanmax(ratio) < 1.5  # no other basin of the embedded data is flagged


def test_sites_without_test_observations_are_logged_by_id(raw, caplog):
    ds = raw.copy(deep=True)
    ds["streamflow"][5, 365:] = np.nan
    out = _ingest(ds, caplog)
    assert str(raw.site.values[5]) in out.site.values
    assert f"1 site(s) have no streamflow observation in the test period; they train but are not scored: " \
           f"{raw.site.values[5]}" in caplog.text
