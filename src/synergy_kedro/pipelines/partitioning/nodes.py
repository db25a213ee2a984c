"""Sites → regions → the site set of every model."""

from __future__ import annotations

import logging

import pandas as pd
import xarray as xr

from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.core.parameters import GlobalVsLocal, Partitioning, SimilarVsDissimilar, for_target
from synergy_kedro.regions.experiment_design import VARIANTS, design_site_sets
from synergy_kedro.regions.hierarchy import subregions_of
from synergy_kedro.regions.membership import column_labels
from synergy_kedro.regions.schemes import local_model_name, scheme_regions, seed_repeat_name, seed_repeat_of

log = logging.getLogger(__name__)


ECO_COLUMNS = ["eco_l1", "eco_l2", "eco_l3"]


def assign_regions(canonical_dataset: xr.Dataset, partitioning: Partitioning) -> pd.DataFrame:
    """One row per site: coordinates, EPA codes, the sub-region A–R and the scheme's ``region``.

    A site outside every region of the scheme gets no region and trains no model (logged).
    """
    scheme = partitioning.scheme
    table = canonical_dataset[["lat", "lon", *ECO_COLUMNS]].reset_coords().to_dataframe()[["lat", "lon", *ECO_COLUMNS]]
    for col in ECO_COLUMNS:
        text = table[col].astype(str)
        table[col] = text.where(table[col].notna() & ~text.isin(["", "nan", "None"]), None)
    table["subregion"] = subregions_of(table["eco_l3"])
    if scheme == "column":
        column = partitioning.column
        if column not in canonical_dataset.variables:
            raise ConfigurationError(f"partitioning.column={column!r} is not a variable or coordinate of the canonical "
                           f"Dataset (have: {sorted(map(str, canonical_dataset.variables))}).")
        labels = column_labels(canonical_dataset, column).set_axis(table.index)
        wanted = set(scheme_regions(partitioning))
        table["region"] = labels.where(labels.isin(wanted), None)
        unmodelled = labels[~labels.isin(wanted)].replace("", "(none)").value_counts()
        if len(unmodelled):
            log.warning("Sites whose %s label is not in partitioning.regions (label: sites): %s", column,
                        ", ".join(f"{label}: {n}" for label, n in unmodelled.items()))
    else:
        table["region"] = table["subregion"]
    outside = int(table["region"].isna().sum())
    if outside:
        log.warning("%d of %d sites fall in no region of scheme %r; they train no model.", outside, len(table), scheme)
    table.index.name = "site"
    return table.reset_index()


def global_vs_local_site_sets(site_regions: pd.DataFrame, partitioning: Partitioning,
                              global_vs_local: GlobalVsLocal | None = None) -> dict[str, dict]:
    """The global model's sites (all regions) and each local model's (its region only).

    A region with fewer than ``partitioning.min_sites`` sites gets no model and a logged
    reason, as the paper's "No Pixels"/"No Basins" rows. With ``global_vs_local.seed_repeats``
    = k > 1 every model is repeated under ``seed<r>.<model>`` (r = 1…k−1) with its seed shifted by r.
    """
    min_sites = partitioning.min_sites
    assigned = site_regions.dropna(subset=["region"])
    sets = {"global": _site_set("global", "all", sorted(assigned["site"]), min_sites)}
    for region in scheme_regions(partitioning):
        sites = sorted(assigned.loc[assigned["region"].astype(str) == region, "site"])
        name = local_model_name(region)
        sets[name] = _site_set(name, region, sites, min_sites)
    repeats = global_vs_local.seed_repeats if global_vs_local else 1
    for r in range(1, repeats):
        for name, record in list(sets.items()):
            if not seed_repeat_of(name):
                sets[seed_repeat_name(r, name)] = {**record, "model": seed_repeat_name(r, name), "seed_offset": r}
    return sets


def _site_set(model: str, region: str, sites: list[str], min_sites: int) -> dict:
    skipped = None
    if len(sites) < min_sites:
        skipped = f"region {region} has {len(sites)} sites, fewer than partitioning.min_sites={min_sites}"
        log.warning("No model %s: %s.", model, skipped)
    return {"model": model, "region": region, "sites": sites, "skipped": skipped}


def similar_vs_dissimilar_site_sets(site_regions: pd.DataFrame, similar: SimilarVsDissimilar, target: str, *,
                                    namespaces: list[str]) -> dict[str, dict]:
    """Site sets of every namespace of the second experiment; unselected ones are skipped with a reason.

    The pipeline has a namespace per (variant, ROI, set) for the ROIs of both targets; this run's
    target and ``size_controlled`` choose which of them train.
    """
    rois = [str(r) for r in for_target(similar.rois, target)]
    variants = [v for v, controlled in VARIANTS.items() if controlled in similar.size_controlled]
    records = design_site_sets(site_regions, rois, variants, similar.min_sites, similar.seed)
    out = {}
    for ns in namespaces:
        if ns not in records:
            _, variant, slug, set_name = ns.split(".")
            records[ns] = {"model": ns, "region": slug, "variant": variant, "set": set_name, "n_added": 0,
                           "sites": [], "test_sites": [],
                           "skipped": f"not selected for target={target} and size_controlled={similar.size_controlled}"}
        out[ns] = records[ns]
    for ns, rec in records.items():
        if rec["skipped"] and rec["test_sites"]:
            log.warning("No model %s: %s.", ns, rec["skipped"])
    return out
