import numpy as np
import pandas as pd
import pytest
import xarray as xr

from synergy_kedro.core.normalisation import denormalise, fit_statistics, forward_transform, normalise


def _ds():
    time = pd.date_range("2000-01-01", periods=6)
    prcp = np.array([[0, 1, 4, 9, 100, 400], [1, 1, 1, 1, 900, 900], [50, 50, 50, 50, 50, 50.0]])
    return xr.Dataset({"prcp": (("site", "time"), prcp), "elev": ("site", [10.0, 20.0, 1000.0])},
                      coords={"site": ["a", "b", "c"], "time": time})


def test_log_sqrt_matches_the_papers_formula():
    assert forward_transform(np.array([4.0]), "log_sqrt")[0] == pytest.approx(np.log10(2.1))


def test_statistics_use_training_sites_and_period_only():
    stats = fit_statistics(_ds(), ["prcp", "elev"], {"prcp": "log_sqrt"}, ["a", "b"], ["2000-01-01", "2000-01-04"])
    expected = np.log10(np.sqrt([0, 1, 4, 9, 1, 1, 1, 1]) + 0.1)
    assert stats["prcp"]["mean"] == pytest.approx(expected.mean())
    assert stats["prcp"]["std"] == pytest.approx(expected.std())
    assert stats["elev"]["mean"] == pytest.approx(15.0)  # site c (1000 m) is not a training site


def test_denormalise_inverts_normalise():
    ds = _ds()
    stats = fit_statistics(ds, ["prcp"], {"prcp": "log_sqrt"}, ["a", "b", "c"], ["2000-01-01", "2000-01-06"])
    z = normalise(ds, stats)["prcp"].values
    assert np.allclose(denormalise(z.astype("float64"), stats["prcp"]), ds["prcp"].values, rtol=1e-4, atol=1e-4)


def test_missing_values_stay_missing():
    ds = _ds()
    ds["prcp"][0, 2] = np.nan
    stats = fit_statistics(ds, ["prcp"], {}, ["a", "b"], ["2000-01-01", "2000-01-06"])
    assert np.isnan(normalise(ds, stats)["prcp"].values[0, 2])
