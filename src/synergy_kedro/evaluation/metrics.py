"""Per-site skill metrics on (site, time) arrays.

Every function takes ``obs`` and ``sim`` shaped ``(n_site, n_time)`` and returns a float64 array of
length ``n_site``. A time step counts only where **both** obs and sim are finite (pairwise masking):
a gap in the observations must not be filled, and a gap in the simulation (e.g. the warm-up of a
model) must drop the matching observation too, otherwise the two series would be averaged over
different days. A site with fewer than ``min_obs`` valid pairs gets NaN, as does a site where the
formula divides by a quantity that is zero (a constant observed series for NSE/KGE/R, a constant
simulation for R/KGE, a zero observed mean for KGE's β).

Everything is vectorised over sites: masked entries are replaced by 0 in sums and the per-site
counts are kept alongside, so there is no Python loop over sites and no ``nanmean`` empty-slice
warnings; divisions by zero are silenced with ``np.errstate`` and then overwritten with NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Column order of :func:`site_metrics`.
METRIC_COLUMNS: tuple[str, ...] = ("NSE", "KGE", "RMSE", "R", "Bias")


@dataclass(frozen=True)
class _Paired:
    """Per-site sufficient statistics of the valid (obs, sim) pairs.

    ``d_obs``/``d_sim`` are deviations from the per-site means, 0 where masked; ``valid`` is the
    pairwise mask, ``n`` the count of valid pairs.
    """

    obs: np.ndarray
    sim: np.ndarray
    valid: np.ndarray
    n: np.ndarray
    mean_obs: np.ndarray
    mean_sim: np.ndarray
    d_obs: np.ndarray
    d_sim: np.ndarray
    obs_constant: np.ndarray
    sim_constant: np.ndarray


def _paired(obs: np.ndarray, sim: np.ndarray) -> _Paired:
    """Mask non-finite pairs and compute per-site means and deviations (masked entries = 0)."""
    obs = np.asarray(obs, dtype=np.float64)
    sim = np.asarray(sim, dtype=np.float64)
    if obs.shape != sim.shape:
        raise ValueError(f"obs and sim shapes differ: {obs.shape} vs {sim.shape}")
    if obs.ndim != 2:
        raise ValueError(f"expected 2-D (site, time) arrays, got ndim={obs.ndim}")
    valid = np.isfinite(obs) & np.isfinite(sim)
    n = valid.sum(axis=1)
    o = np.where(valid, obs, 0.0)
    s = np.where(valid, sim, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_obs = o.sum(axis=1) / n
        mean_sim = s.sum(axis=1) / n
    d_obs = np.where(valid, obs - mean_obs[:, None], 0.0)
    d_sim = np.where(valid, sim - mean_sim[:, None], 0.0)
    # "Constant" is decided on the values themselves (max == min), not on a variance that rounding
    # can leave at 1e-33 for a constant series such as 0.1, 0.1, 0.1.
    obs_constant = _range(obs, valid) == 0.0
    sim_constant = _range(sim, valid) == 0.0
    return _Paired(o, s, valid, n, mean_obs, mean_sim, d_obs, d_sim, obs_constant, sim_constant)


def _range(x: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """max − min over the valid entries of each row (NaN for rows without valid entries)."""
    hi = np.where(valid, x, -np.inf).max(axis=1, initial=-np.inf)
    lo = np.where(valid, x, np.inf).min(axis=1, initial=np.inf)
    with np.errstate(invalid="ignore"):
        return np.where(valid.any(axis=1), hi - lo, np.nan)


def _finish(values: np.ndarray, p: _Paired, min_obs: int, *undefined: np.ndarray) -> np.ndarray:
    """Set NaN where a site has too few pairs or where the formula is undefined."""
    bad = p.n < min_obs
    for mask in undefined:
        bad = bad | mask
    return np.where(bad, np.nan, values).astype(np.float64)


def _r(p: _Paired) -> np.ndarray:
    """Pearson r from the deviations, clipped to [-1, 1] against rounding (constant series → NaN)."""
    cov = (p.d_obs * p.d_sim).sum(axis=1)
    ss_obs = (p.d_obs**2).sum(axis=1)
    ss_sim = (p.d_sim**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = cov / np.sqrt(ss_obs * ss_sim)
    r = np.clip(r, -1.0, 1.0)
    return np.where(p.obs_constant | p.sim_constant, np.nan, r)


def nse(obs: np.ndarray, sim: np.ndarray, min_obs: int = 2) -> np.ndarray:
    """Nash–Sutcliffe efficiency per site (Nash & Sutcliffe, 1970).

    NSE = 1 − Σ(sim − obs)² / Σ(obs − mean(obs))², over the valid pairs of the site. 1 is a perfect
    fit, 0 is no better than the observed mean, and it is unbounded below. NaN for a constant
    observed series (denominator 0).
    """
    p = _paired(obs, sim)
    ss_res = ((p.sim - p.obs) ** 2).sum(axis=1)
    ss_tot = (p.d_obs**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = 1.0 - ss_res / ss_tot
    return _finish(values, p, min_obs, p.obs_constant)


def kge(obs: np.ndarray, sim: np.ndarray, min_obs: int = 2) -> np.ndarray:
    """Kling–Gupta efficiency per site (Gupta et al., 2009, eq. 9).

    KGE = 1 − sqrt((r − 1)² + (α − 1)² + (β − 1)²), with r the Pearson correlation, α = σ_sim/σ_obs
    the variability ratio and β = μ_sim/μ_obs the bias ratio, over the valid pairs. Standard
    deviations use the same ddof for both series, so α does not depend on it. NaN where r is
    undefined (a constant obs or sim series) or μ_obs = 0.
    """
    p = _paired(obs, sim)
    r = _r(p)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.sqrt((p.d_sim**2).sum(axis=1) / (p.d_obs**2).sum(axis=1))
        beta = p.mean_sim / p.mean_obs
    values = 1.0 - np.sqrt((r - 1.0) ** 2 + (alpha - 1.0) ** 2 + (beta - 1.0) ** 2)
    return _finish(values, p, min_obs, p.obs_constant, p.sim_constant, p.mean_obs == 0.0)


def rmse(obs: np.ndarray, sim: np.ndarray, min_obs: int = 2) -> np.ndarray:
    """Root-mean-square error per site, sqrt(mean((sim − obs)²)), in the units of obs/sim."""
    p = _paired(obs, sim)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.sqrt(((p.sim - p.obs) ** 2).sum(axis=1) / p.n)
    return _finish(values, p, min_obs)


def pearson_r(obs: np.ndarray, sim: np.ndarray, min_obs: int = 2) -> np.ndarray:
    """Pearson correlation per site, Σ(o−ō)(s−s̄) / sqrt(Σ(o−ō)² Σ(s−s̄)²).

    Same value as ``scipy.stats.pearsonr`` on the site's valid pairs; NaN for a constant obs or sim
    series, where the correlation is undefined.
    """
    p = _paired(obs, sim)
    return _finish(_r(p), p, min_obs)


def bias(obs: np.ndarray, sim: np.ndarray, min_obs: int = 2) -> np.ndarray:
    """Mean error per site, mean(sim − obs), in the units of obs/sim (e.g. m³/m³ for soil moisture,
    mm/day for runoff); positive means the model overestimates. Not a ratio or a percentage."""
    p = _paired(obs, sim)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = (p.sim - p.obs).sum(axis=1) / p.n
    return _finish(values, p, min_obs)


def site_metrics(
    obs: np.ndarray, sim: np.ndarray, sites: Sequence[str], min_obs: int = 2
) -> pd.DataFrame:
    """All metrics of one model in one per-site table.

    Index ``site`` (from ``sites``, one per row of obs/sim), float columns ``NSE, KGE, RMSE, R,
    Bias`` and the integer count ``n_obs`` of valid (obs, sim) pairs each metric was computed on.
    This is the table :mod:`synergy_kedro.evaluation.comparisons` pairs across models.
    """
    obs = np.asarray(obs, dtype=np.float64)
    sim = np.asarray(sim, dtype=np.float64)
    sites = list(sites)
    if obs.ndim != 2 or len(sites) != obs.shape[0]:
        raise ValueError(f"need one site label per row: {len(sites)} labels, obs shape {obs.shape}")
    p = _paired(obs, sim)
    table = pd.DataFrame(
        {
            "NSE": nse(obs, sim, min_obs),
            "KGE": kge(obs, sim, min_obs),
            "RMSE": rmse(obs, sim, min_obs),
            "R": pearson_r(obs, sim, min_obs),
            "Bias": bias(obs, sim, min_obs),
            "n_obs": p.n.astype(np.int64),
        },
        index=pd.Index(sites, name="site"),
    )
    return table
