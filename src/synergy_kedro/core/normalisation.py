"""Transforms and z-scores fitted on the training period and training sites only.

Statistics computed over the test period would leak it into training; over all sites, would leak
sites a model never sees. Skewed variables are first transformed with the paper's group's
``log10(sqrt(x) + 0.1)`` (hydroDL ``transNormbyDic``) so that storm peaks do not dominate the RMSE.
The fitted statistics are saved and are *required* to predict: predictions are brought back to
physical units with exactly the numbers used in training.

The mean and std are robust to the odd value that passes ingestion's physical bounds (or a
variable that has none): values beyond a fence of ``FENCE`` times the 0.1–99.9 percentile range
on either side of that range are left out of the fit (not out of the data), so one ``1e30`` cannot
set the scale of a whole input. For real distributions the fence is far outside the data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from synergy_kedro.core.errors import ConfigurationError

log = logging.getLogger(__name__)

TRANSFORMS = ("none", "log_sqrt")
FENCE = 3.0


def forward_transform(values: np.ndarray | xr.DataArray, kind: str):
    """``log_sqrt``: log10(sqrt(max(x, 0)) + 0.1); ``none``: identity."""
    if kind == "log_sqrt":
        return np.log10(np.sqrt(np.clip(values, 0, None)) + 0.1)
    if kind == "none":
        return values
    raise ConfigurationError(f"Unknown transform {kind!r}; choose one of {TRANSFORMS}.")


def inverse_transform(values: np.ndarray, kind: str) -> np.ndarray:
    """Inverse of :func:`forward_transform` (``log_sqrt``: (10^y − 0.1)², floored at 0)."""
    if kind == "log_sqrt":
        return np.clip(10.0**values - 0.1, 0, None) ** 2
    if kind == "none":
        return values
    raise ConfigurationError(f"Unknown transform {kind!r}; choose one of {TRANSFORMS}.")


def fit_statistics(
    ds: xr.Dataset, variables: Sequence[str], transforms: Mapping[str, str], sites: Sequence[str], period: Sequence[str]
) -> dict[str, dict[str, float | str]]:
    """Mean and std of each (transformed) variable over ``sites`` × ``period`` (statics: over sites)."""
    sub = ds.sel(site=list(sites))
    if "time" in sub.dims:
        sub = sub.sel(time=slice(*period))
    stats: dict[str, dict[str, float | str]] = {}
    for name in variables:
        kind = transforms.get(name, "none")
        values = _within_fence(np.asarray(forward_transform(sub[name].values.astype("float64"), kind)), name)
        mean, std = float(np.nanmean(values)), float(np.nanstd(values))
        if not np.isfinite(std) or std == 0:
            std = 1.0  # a constant input carries no information; keep it finite rather than divide by 0
        stats[name] = {"transform": kind, "mean": mean, "std": std}
    return stats


def _within_fence(values: np.ndarray, name: str) -> np.ndarray:
    """The finite values inside the fence (module docstring); those outside are counted in the log."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return finite
    low, high = np.percentile(finite, [0.1, 99.9])
    reach = FENCE * (high - low)
    inside = (finite >= low - reach) & (finite <= high + reach)
    if not inside.all():
        log.warning("Normalisation of %s: %d extreme value(s) (beyond %.4g..%.4g after the transform) are left out "
                    "of its mean and std; check the source or ingestion.plausibility.bounds.%s.", name,
                    int((~inside).sum()), low - reach, high + reach, name)
    return finite[inside]


def normalise(ds: xr.Dataset, stats: Mapping[str, Mapping[str, float | str]]) -> xr.Dataset:
    """Apply transform and z-score to every variable named in ``stats`` (others are dropped)."""
    out = {}
    for name, s in stats.items():
        values = forward_transform(ds[name].astype("float64"), str(s["transform"]))
        out[name] = ((values - float(s["mean"])) / float(s["std"])).astype("float32")
    return xr.Dataset(out, coords=ds.coords, attrs=ds.attrs)


def denormalise(values: np.ndarray, stat: Mapping[str, float | str]) -> np.ndarray:
    """Back to physical units: inverse z-score, then inverse transform."""
    return inverse_transform(values * float(stat["std"]) + float(stat["mean"]), str(stat["transform"]))
