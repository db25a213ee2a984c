"""A site without a static attribute is dropped, filled on request, or an error; the checks table counts it."""

import logging

import numpy as np
import pytest

from synergy_kedro.core.normalisation import fit_statistics, normalise
from synergy_kedro.model.arrays import input_array
from synergy_kedro.pipelines.ingestion.nodes import _finish
from synergy_kedro.sources.missing_statics import MissingStaticError
from synergy_kedro.sources.virtual_conus import generate_virtual_conus
from tests.parameter_blocks import block

PERIODS = {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]}


@pytest.fixture(scope="module")
def raw():
    ds = generate_virtual_conus(sites_per_subregion=1, sites_per_focus_l3=0, focus_l3_codes=[], n_years=2, seed=3)
    ds["area"][4] = np.nan
    ds["slope"][6] = np.nan
    return ds


def _ingest(ds, caplog, rule):
    features = block("features", dynamic=["prcp"], static=["area", "slope"], static_missing=rule)
    with caplog.at_level(logging.WARNING):
        return _finish(ds, features, "streamflow", PERIODS, "test source", {"plausibility": {}})


def test_drop_leaves_the_sites_out_and_names_them_with_the_attribute(raw, caplog):
    out, checks = _ingest(raw, caplog, "drop")
    a, b = str(raw.site.values[4]), str(raw.site.values[6])
    assert a not in out.site.values and b not in out.site.values
    assert out.sizes["site"] == raw.sizes["site"] - 2
    assert "2 site(s) lack static attribute(s) and are left out" in caplog.text
    assert f"{a} (area)" in caplog.text and f"{b} (slope)" in caplog.text
    missing = checks[checks["check"] == "missing_static"]
    assert sorted(zip(missing["site"], missing["variable"], strict=False)) == sorted([(a, "area"), (b, "slope")])
    assert set(missing["action"]) == {"site dropped"}


def test_mean_keeps_the_site_and_its_input_is_the_training_mean(raw, caplog):
    out, checks = _ingest(raw, caplog, "mean")
    site = str(raw.site.values[4])
    assert site in out.site.values and "use the training mean instead" in caplog.text
    stats = fit_statistics(out, ["area"], {}, list(out.site.values), PERIODS["train"])
    x = input_array(normalise(out, stats), [site], [], ["area"])
    assert np.all(x == 0.0)  # z-score 0 is the training mean
    assert set(checks.loc[checks["check"] == "missing_static", "action"]) == {"filled with the training mean"}


def test_error_stops_naming_every_site_and_the_choices(raw, caplog):
    with pytest.raises(MissingStaticError) as caught:
        _ingest(raw, caplog, "error")
    message = str(caught.value)
    assert f"{raw.site.values[4]} (area)" in message and f"{raw.site.values[6]} (slope)" in message
    assert "features.static_missing: drop" in message
