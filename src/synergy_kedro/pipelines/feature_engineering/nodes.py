"""Canonical Dataset → normalised model inputs, with statistics from training data only."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from synergy_kedro.core.normalisation import fit_statistics, normalise
from synergy_kedro.core.parameters import Features
from synergy_kedro.core.targets import DEFAULT_TRANSFORM, kind_of


def fit_normalisation(
    canonical_dataset: xr.Dataset, site_regions: pd.DataFrame, features: Features, target: str, periods: dict
) -> dict:
    """Statistics over the training period and the sites that any model trains on."""
    train_sites = site_regions.dropna(subset=["region"])["site"].tolist()
    # a flux is log-sqrt transformed, a state not, unless features.transforms names the target (core/targets.py)
    kind = kind_of(target)
    transforms = {**({str(target): DEFAULT_TRANSFORM[kind]} if kind else {}), **features.transforms}
    dynamic = fit_statistics(canonical_dataset, [*features.dynamic, target], transforms, train_sites, periods["train"])
    static = fit_statistics(canonical_dataset[features.static], features.static, transforms, train_sites, periods["train"])
    return {**dynamic, **static}


def build_model_inputs(canonical_dataset: xr.Dataset, normalisation_stats: dict) -> xr.Dataset:
    """Every input and the target, transformed and z-scored; NaN stays NaN."""
    return normalise(canonical_dataset, normalisation_stats)
