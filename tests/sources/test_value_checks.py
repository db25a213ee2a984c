"""A value no instrument can give never reaches a model's inputs or its normalisation unannounced."""

import logging

import numpy as np
import pytest

from synergy_kedro.core.normalisation import fit_statistics, normalise
from synergy_kedro.pipelines.ingestion.nodes import _finish
from synergy_kedro.sources.value_checks import ImplausibleValueError
from synergy_kedro.sources.virtual_conus import generate_virtual_conus
from tests.parameter_blocks import block

FEATURES = block("features", dynamic=["prcp", "tmean"], static=["aridity", "area"], static_missing="drop")
PERIODS = {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]}
BOUNDS = {"prcp": [0, 2000], "tmean": [-90, 60], "streamflow": [0, 2000], "area": [0, None]}


@pytest.fixture(scope="module")
def raw():
    return generate_virtual_conus(sites_per_subregion=1, sites_per_focus_l3=0, focus_l3_codes=[], n_years=2, seed=3)


def _ingest(ds, caplog, **plausibility):
    settings = {"bounds": BOUNDS, "max_share_out_of_range": 0.01, "on_implausible": "missing", **plausibility}
    with caplog.at_level(logging.WARNING):
        return _finish(ds, FEATURES, "streamflow", PERIODS, "test source", {"plausibility": settings})


def test_one_huge_temperature_is_missing_and_leaves_every_other_z_score_as_it_was(raw, caplog):
    ds = raw.copy(deep=True)
    site = str(raw.site.values[3])
    ds["tmean"][3, 40] = 1e30
    out, checks = _ingest(ds, caplog)
    assert np.isnan(out["tmean"].values[3, 40])
    assert f"1 value(s) of tmean outside [-90, 60] degC are treated as missing, at 1 site(s): {site} (1)" in caplog.text
    row = checks[(checks["check"] == "out_of_bounds") & (checks["variable"] == "tmean")]
    assert row["site"].tolist() == [site] and row["values"].tolist() == [1]
    clean, _ = _ingest(raw.copy(deep=True), caplog)
    sites = list(clean.site.values)
    z_poisoned = normalise(out, fit_statistics(out, ["tmean"], {}, sites, PERIODS["train"]))["tmean"].values
    z_clean = normalise(clean, fit_statistics(clean, ["tmean"], {}, sites, PERIODS["train"]))["tmean"].values
    z_clean[3, 40] = np.nan
    np.testing.assert_allclose(z_poisoned, z_clean, atol=0.01)
    assert np.nanstd(z_poisoned) > 0.9  # the input is still an input


def test_an_infinite_value_of_an_unbounded_variable_is_missing(raw, caplog):
    ds = raw.copy(deep=True)
    ds["aridity"][2] = np.inf
    out, checks = _ingest(ds, caplog)
    assert str(raw.site.values[2]) not in out.site.values  # then missing, and a site without a static is dropped
    assert "outside the finite numbers" in caplog.text
    assert set(checks.loc[checks["site"] == str(raw.site.values[2]), "check"]) == {"out_of_bounds", "missing_static"}


def test_a_site_with_many_values_out_is_named_as_a_likely_unit_mix_up(raw, caplog):
    ds = raw.copy(deep=True)
    ds["tmean"][1] = ds["tmean"][1] + 273.15  # kelvin in a celsius column: the hot days leave the bounds
    _, checks = _ingest(ds, caplog)
    share = float(checks.loc[(checks["variable"] == "tmean"), "share"].iloc[0])
    assert share > 0.01
    assert f"of the tmean values of 1 site(s) are outside [-90, 60] degC (wrong units or column?): " \
           f"{raw.site.values[1]}" in caplog.text


def test_on_implausible_error_stops_and_names_the_variable_site_and_key(raw, caplog):
    ds = raw.copy(deep=True)
    ds["prcp"][0, 5] = 5000.0
    with pytest.raises(ImplausibleValueError) as caught:
        _ingest(ds, caplog, on_implausible="error")
    message = str(caught.value)
    assert "1 value(s) of prcp are outside [0, 2000] mm/d" in message and str(raw.site.values[0]) in message
    assert "ingestion.plausibility.bounds.prcp" in message


def test_the_normalisation_ignores_an_extreme_value_that_passed_ingestion(raw, caplog):
    ds = raw.copy(deep=True)
    sites = list(raw.site.values)
    ds["srad"][0, 0] = 1e30  # srad has no bounds here and is not an input of this ingestion
    with caplog.at_level(logging.WARNING):
        poisoned = fit_statistics(ds, ["srad"], {}, sites, PERIODS["train"])["srad"]
    kept = raw["srad"].sel(time=slice(*PERIODS["train"])).values.copy()
    kept[0, 0] = np.nan
    assert poisoned["mean"] == pytest.approx(np.nanmean(kept), rel=1e-6)
    assert poisoned["std"] == pytest.approx(np.nanstd(kept), rel=1e-6)
    assert "Normalisation of srad: 1 extreme value(s)" in caplog.text
    clean = fit_statistics(raw, ["srad"], {}, sites, PERIODS["train"])["srad"]
    assert clean["mean"] == pytest.approx(float(raw["srad"].sel(time=slice(*PERIODS["train"])).mean()), rel=1e-6)
