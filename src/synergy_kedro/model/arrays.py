"""Canonical (normalised) Dataset → the dense arrays the network eats.

Inputs are the dynamic variables followed by the statics repeated along time, in the order the
parameters list them; the order is stored with the model so prediction rebuilds the same layout.
Missing inputs become 0, the training mean after z-scoring (hydroDL does the same); missing
targets stay NaN for the masked loss.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr


def input_array(ds: xr.Dataset, sites: Sequence[str], dynamic: Sequence[str], static: Sequence[str],
                period: Sequence[str] | None = None) -> np.ndarray:
    """(site, time, len(dynamic) + len(static)) float32."""
    sub = ds.sel(site=list(sites))
    if period is not None:
        sub = sub.sel(time=slice(*period))
    n_time = sub.sizes["time"]
    parts = [sub[v].transpose("site", "time").values[..., None] for v in dynamic]
    parts += [np.repeat(sub[v].values[:, None, None], n_time, axis=1) for v in static]
    x = np.concatenate(parts, axis=-1).astype(np.float32) if parts else np.zeros((len(sites), n_time, 0), np.float32)
    return np.nan_to_num(x, nan=0.0)


def target_array(ds: xr.Dataset, sites: Sequence[str], target: str, period: Sequence[str] | None = None) -> np.ndarray:
    """(site, time) float32 with NaN where unobserved."""
    sub = ds[target].sel(site=list(sites))
    if period is not None:
        sub = sub.sel(time=slice(*period))
    return sub.transpose("site", "time").values.astype(np.float32)
