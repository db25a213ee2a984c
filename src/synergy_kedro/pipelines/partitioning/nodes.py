"""Sites → regions → the site set of every model."""

from __future__ import annotations

import logging

import pandas as pd
import xarray as xr

from synergy_kedro.experiment_design import VARIANTS, design_site_sets
from synergy_kedro.regions import SUBREGIONS, subregions_of

log = logging.getLogger(__name__)


def assign_regions(canonical_dataset: xr.Dataset) -> pd.DataFrame:
    """One row per site: coordinates, EPA level I/II/III codes and the paper's sub-region (A–R)."""
    coords = canonical_dataset[["lat", "lon", "eco_l1", "eco_l2", "eco_l3"]].reset_coords()
    table = coords.to_dataframe()[["lat", "lon", "eco_l1", "eco_l2", "eco_l3"]]
    for col in ("eco_l1", "eco_l2", "eco_l3"):
        table[col] = table[col].astype(str).where(table[col].notna() & (table[col].astype(str) != ""), None)
    table["subregion"] = subregions_of(table["eco_l3"])
    outside = table["subregion"].isna().sum()
    if outside:
        log.warning("%d sites fall in no sub-region A–R (outside the EPA US level-III polygons); they are left out.", outside)
    table.index.name = "site"
    return table.reset_index()


def global_vs_local_site_sets(site_regions: pd.DataFrame, partitioning: dict) -> dict[str, dict]:
    """The global model's sites (all regions) and each local model's (its sub-region only).

    A sub-region with fewer than ``partitioning.min_sites`` sites gets no model and a logged
    reason, as the paper's "No Pixels"/"No Basins" rows.
    """
    min_sites = int(partitioning["min_sites"])
    assigned = site_regions.dropna(subset=["subregion"])
    sets = {"global": _site_set("global", "all", sorted(assigned["site"]), min_sites)}
    for letter in SUBREGIONS:
        sites = sorted(assigned.loc[assigned["subregion"] == letter, "site"])
        sets[f"local_{letter}"] = _site_set(f"local_{letter}", letter, sites, min_sites)
    return sets


def _site_set(model: str, region: str, sites: list[str], min_sites: int) -> dict:
    skipped = None
    if len(sites) < min_sites:
        skipped = f"region {region} has {len(sites)} sites, fewer than partitioning.min_sites={min_sites}"
        log.warning("No model %s: %s.", model, skipped)
    return {"model": model, "region": region, "sites": sites, "skipped": skipped}


def similar_vs_dissimilar_site_sets(site_regions: pd.DataFrame, similar: dict, target: str, *,
                                    namespaces: list[str]) -> dict[str, dict]:
    """Site sets of every namespace of the second experiment; unselected ones are skipped with a reason.

    The pipeline has a namespace per (variant, ROI, set) for the ROIs of both targets; this run's
    target and ``size_controlled`` choose which of them train.
    """
    rois = [str(r) for r in similar["rois"][target]]
    variants = [v for v, controlled in VARIANTS.items() if controlled in list(similar["size_controlled"])]
    records = design_site_sets(site_regions, rois, variants, int(similar["min_sites"]), int(similar["seed"]))
    out = {}
    for ns in namespaces:
        if ns not in records:
            _, variant, slug, set_name = ns.split(".")
            records[ns] = {"model": ns, "region": slug, "variant": variant, "set": set_name, "n_added": 0,
                           "sites": [], "test_sites": [],
                           "skipped": f"not selected for target={target} and size_controlled={similar['size_controlled']}"}
        out[ns] = records[ns]
    for ns, rec in records.items():
        if ns not in out:
            raise ValueError(f"ROI {rec['region']} is configured but the pipeline has no namespace for it; "
                             "ROIs are read from conf when the pipeline is registered: put them in "
                             "conf/<env>/parameters_similar_vs_dissimilar.yml rather than --params.")
        if rec["skipped"] and rec["test_sites"]:
            log.warning("No model %s: %s.", ns, rec["skipped"])
    return out
