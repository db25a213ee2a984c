"""Per-site metrics against independent, loop-per-site computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synergy_kedro.evaluation import metrics as m


@pytest.fixture
def gappy() -> tuple[np.ndarray, np.ndarray]:
    """Random obs/sim with NaN gaps in both, independently placed."""
    rng = np.random.default_rng(42)
    n_site, n_time = 7, 60
    obs = rng.gamma(2.0, 1.0, size=(n_site, n_time))
    sim = obs * rng.uniform(0.6, 1.4, size=(n_site, 1)) + rng.normal(0, 0.5, size=(n_site, n_time))
    obs[rng.random(obs.shape) < 0.2] = np.nan
    sim[rng.random(sim.shape) < 0.1] = np.nan
    return obs, sim


def _pairs(obs_row: np.ndarray, sim_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = ~np.isnan(obs_row) & ~np.isnan(sim_row)
    return obs_row[keep], sim_row[keep]


def _loop(obs, sim, fn):
    return np.array([fn(*_pairs(o, s)) for o, s in zip(obs, sim, strict=False)])


def _nse_ref(o, s):
    return 1 - np.sum((s - o) ** 2) / np.sum((o - o.mean()) ** 2)


def _kge_ref(o, s):
    r = stats.pearsonr(o, s).statistic
    alpha = np.std(s, ddof=1) / np.std(o, ddof=1)
    beta = s.mean() / o.mean()
    return 1 - np.sqrt((r - 1) ** 2 + (alpha - 1) ** 2 + (beta - 1) ** 2)


def test_against_per_site_loops(gappy):
    obs, sim = gappy
    np.testing.assert_allclose(m.nse(obs, sim), _loop(obs, sim, _nse_ref), rtol=1e-12)
    np.testing.assert_allclose(m.kge(obs, sim), _loop(obs, sim, _kge_ref), rtol=1e-12)
    np.testing.assert_allclose(
        m.rmse(obs, sim), _loop(obs, sim, lambda o, s: np.sqrt(np.mean((s - o) ** 2))), rtol=1e-12
    )
    np.testing.assert_allclose(
        m.pearson_r(obs, sim), _loop(obs, sim, lambda o, s: stats.pearsonr(o, s).statistic), rtol=1e-12
    )
    np.testing.assert_allclose(m.bias(obs, sim), _loop(obs, sim, lambda o, s: np.mean(s - o)), rtol=1e-12)


def test_outputs_are_float64_per_site(gappy):
    obs, sim = gappy
    for fn in (m.nse, m.kge, m.rmse, m.pearson_r, m.bias):
        out = fn(obs, sim)
        assert out.dtype == np.float64
        assert out.shape == (obs.shape[0],)


def test_perfect_prediction(gappy):
    obs, _ = gappy
    np.testing.assert_allclose(m.nse(obs, obs), 1.0)
    np.testing.assert_allclose(m.kge(obs, obs), 1.0)
    np.testing.assert_allclose(m.rmse(obs, obs), 0.0, atol=0)
    np.testing.assert_allclose(m.pearson_r(obs, obs), 1.0)
    np.testing.assert_allclose(m.bias(obs, obs), 0.0, atol=0)


def test_mean_prediction_gives_zero_nse():
    obs = np.array([[1.0, 2.0, 4.0, 7.0], [0.5, np.nan, 1.5, 4.0]])
    sim = np.array([[3.5] * 4, [2.0] * 4])
    np.testing.assert_allclose(m.nse(obs, sim), 0.0, atol=1e-15)


def test_nan_in_sim_excludes_time_step():
    obs = np.array([[1.0, 2.0, 3.0, 100.0]])
    sim = np.array([[1.5, 2.0, 2.0, np.nan]])
    o, s = obs[0, :3], sim[0, :3]
    assert m.bias(obs, sim)[0] == pytest.approx(np.mean(s - o))
    assert m.rmse(obs, sim)[0] == pytest.approx(np.sqrt(np.mean((s - o) ** 2)))
    assert m.nse(obs, sim)[0] == pytest.approx(_nse_ref(o, s))
    table = m.site_metrics(obs, sim, ["s1"])
    assert table.loc["s1", "n_obs"] == 3


def test_all_nan_site_and_min_obs():
    obs = np.array([[np.nan, np.nan, np.nan], [1.0, 2.0, np.nan], [1.0, 2.0, 4.0]])
    sim = np.array([[1.0, 2.0, 3.0], [1.5, 2.5, 3.0], [1.5, 2.5, 3.0]])
    table = m.site_metrics(obs, sim, ["empty", "two", "three"])
    assert table.loc["empty", ["NSE", "KGE", "RMSE", "R", "Bias"]].isna().all()
    assert table.loc["empty", "n_obs"] == 0
    assert table.loc["two", "n_obs"] == 2
    assert np.isfinite(table.loc["two", "RMSE"])
    # with min_obs=3 the two-pair site is dropped, the three-pair site kept
    strict = m.site_metrics(obs, sim, ["empty", "two", "three"], min_obs=3)
    assert strict.loc["two", ["NSE", "KGE", "RMSE", "R", "Bias"]].isna().all()
    assert strict.loc["three", ["NSE", "KGE", "RMSE", "R", "Bias"]].notna().all()


def test_constant_obs_gives_nan_where_variance_needed():
    obs = np.array([[0.1, 0.1, 0.1, 0.1]])
    sim = np.array([[0.1, 0.2, 0.0, 0.1]])
    assert np.isnan(m.nse(obs, sim)[0])
    assert np.isnan(m.kge(obs, sim)[0])
    assert np.isnan(m.pearson_r(obs, sim)[0])
    assert m.rmse(obs, sim)[0] == pytest.approx(np.sqrt(0.02 / 4))
    assert m.bias(obs, sim)[0] == pytest.approx(0.0, abs=1e-15)


def test_site_metrics_layout(gappy):
    obs, sim = gappy
    sites = [f"s{i}" for i in range(obs.shape[0])]
    table = m.site_metrics(obs, sim, sites)
    assert table.index.name == "site"
    assert list(table.index) == sites
    assert list(table.columns) == ["NSE", "KGE", "RMSE", "R", "Bias", "n_obs"]
    assert pd.api.types.is_integer_dtype(table["n_obs"])
    expected_n = (~np.isnan(obs) & ~np.isnan(sim)).sum(axis=1)
    np.testing.assert_array_equal(table["n_obs"].to_numpy(), expected_n)
    np.testing.assert_allclose(table["NSE"].to_numpy(), m.nse(obs, sim))


def test_shape_checks():
    with pytest.raises(ValueError):
        m.nse(np.zeros((2, 3)), np.zeros((2, 4)))
    with pytest.raises(ValueError):
        m.site_metrics(np.zeros((2, 3)), np.zeros((2, 3)), ["only-one"])


def test_no_warnings_on_empty_sites(recwarn):
    obs = np.full((2, 5), np.nan)
    sim = np.ones((2, 5))
    m.site_metrics(obs, sim, ["a", "b"])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
