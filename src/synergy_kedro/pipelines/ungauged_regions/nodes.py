"""Held-out site sets, donors, and each ungauged region's sites predicted by its donor's local model."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from synergy_kedro.core.parameters import Evaluation, Partitioning, UngaugedRegions
from synergy_kedro.pipelines.modelling.nodes import evaluate_model, predict_model
from synergy_kedro.regions.donors import choose_donors
from synergy_kedro.regions.schemes import local_model_name, scheme_regions
from synergy_kedro.regions.ungauged_design import heldout_site_sets

DONOR_METRIC_KEYS = ["site", "region", "donor"]


def ungauged_site_sets(site_regions: pd.DataFrame, partitioning: Partitioning,
                       ungauged: UngaugedRegions) -> dict[str, dict]:
    """``<heldout>.train_sites`` for every group of held-out regions (:mod:`synergy_kedro.regions.ungauged_design`)."""
    return heldout_site_sets(site_regions, scheme_regions(partitioning), ungauged.folds, partitioning.min_sites)


def donors(site_regions: pd.DataFrame, *local_sets: dict) -> pd.DataFrame:
    """Each region's donor among the regions whose local model trained (:mod:`synergy_kedro.regions.donors`)."""
    trained = [record["region"] for record in local_sets if not record["skipped"]]
    return choose_donors(site_regions, trained)


def donor_site_metrics(donor_table: pd.DataFrame, site_regions: pd.DataFrame, model_inputs: xr.Dataset,
                       canonical_dataset: xr.Dataset, normalisation_stats: dict, periods: dict, evaluation: Evaluation,
                       *local_models: dict) -> pd.DataFrame:
    """Per site of every region: the test metrics of its donor's local model, as :func:`predict_model` scores any model."""
    by_name = {model["model"]: model for model in local_models}
    region_of_site = site_regions.dropna(subset=["region"]).assign(region=lambda t: t["region"].astype(str))
    parts = []
    for row in donor_table.dropna(subset=["donor"]).itertuples():
        model = by_name.get(local_model_name(row.donor))
        if model is None or model.get("state_dict") is None:
            continue
        sites = sorted(region_of_site.loc[region_of_site["region"] == str(row.region), "site"].astype(str))
        predictions = predict_model(model_inputs, canonical_dataset, model, {"sites": sites}, normalisation_stats,
                                    periods)
        parts.append(evaluate_model(predictions, evaluation).assign(region=str(row.region), donor=str(row.donor)))
    if not parts:
        return pd.DataFrame(columns=DONOR_METRIC_KEYS)
    table = pd.concat(parts, ignore_index=True)
    return table[[*DONOR_METRIC_KEYS, *[c for c in table.columns if c not in DONOR_METRIC_KEYS]]]
