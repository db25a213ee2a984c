"""Site regions, per-site metrics and site sets → the maps of :mod:`synergy_kedro.evaluation.maps`.

``ecoregion_polygons`` may be None (the default environment ships no polygon file): the maps
then show the sites without region outlines.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
from matplotlib.figure import Figure

from synergy_kedro.core.parameters import Evaluation, SimilarVsDissimilar, for_target
from synergy_kedro.evaluation import maps
from synergy_kedro.evaluation.comparisons import HIGHER_IS_BETTER
from synergy_kedro.regions.experiment_design import SETS, VARIANTS, namespace


def _sites(site_regions: pd.DataFrame) -> pd.DataFrame:
    return site_regions.assign(site=site_regions["site"].astype(str)).set_index("site")


def _indexed(metrics: pd.DataFrame) -> pd.DataFrame:
    table = metrics.set_index("site") if "site" in metrics.columns else metrics
    return table.set_axis(table.index.astype(str))


def sites_map(site_regions: pd.DataFrame, target: str, ecoregion_polygons: gpd.GeoDataFrame | None, *,
              title: str) -> Figure:
    """Where the run's sites are, by sub-region A–R (the paper's Figure 1)."""
    return maps.sites_map(_sites(site_regions), ecoregion_polygons, maps.footprint_of(target), f"{title}: {target}")


def global_improvement(global_metrics: pd.DataFrame, local_metrics: pd.DataFrame, metric: str) -> pd.Series:
    """Per site with a local model: how much better the global model is in ``metric`` (> 0: global better).

    global − local where higher is better (NSE, R), local − global where lower is (RMSE),
    |local| − |global| for a signed metric (Bias). NaN where either model has no value. Index =
    the local models' sites (the pairs of the comparison table).
    """
    return improvement(global_metrics, local_metrics, metric).rename(f"{metric}_improvement_by_global")


def improvement(a_metrics: pd.DataFrame, b_metrics: pd.DataFrame, metric: str) -> pd.Series:
    """Per site of ``b_metrics``: how much better model a is in ``metric`` (> 0: a better; NaN: not paired)."""
    a = _indexed(a_metrics)[metric].astype(float)
    b = _indexed(b_metrics)[metric].astype(float)
    a = a.reindex(b.index)
    higher = HIGHER_IS_BETTER.get(metric, True)
    if higher is None:
        return b.abs() - a.abs()
    return a - b if higher else b - a


def difference_map(site_regions: pd.DataFrame, evaluation: Evaluation, target: str,
                   ecoregion_polygons: gpd.GeoDataFrame | None, global_metrics: pd.DataFrame,
                   *local_metrics: pd.DataFrame) -> Figure:
    """Per paired site, the global model's improvement over its local model in the main metric."""
    metric = evaluation.primary_metric_for(target)
    tables = [_indexed(m) for m in local_metrics if len(m)]
    local = pd.concat(tables) if tables else _indexed(global_metrics).iloc[:0]
    improvement = global_improvement(global_metrics, local, metric)
    return maps.difference_map(_sites(site_regions), improvement, metric, ecoregion_polygons,
                               maps.footprint_of(target), f"Global vs local: {target}")


def heldout_vs_donor_map(site_regions: pd.DataFrame, evaluation: Evaluation, target: str,
                         ecoregion_polygons: gpd.GeoDataFrame | None, donor_metrics: pd.DataFrame,
                         *heldout_metrics: pd.DataFrame) -> Figure:
    """Per site of a region treated as ungauged: the held-out model's improvement over the donor's local model."""
    metric = evaluation.primary_metric_for(target)
    tables = [_indexed(m) for m in heldout_metrics if len(m)]
    heldout = pd.concat(tables) if tables else _indexed(donor_metrics).iloc[:0]
    donor = _indexed(donor_metrics)
    gain = improvement(heldout, donor, metric) if len(donor) else pd.Series(dtype=float)
    return maps.difference_map(_sites(site_regions), gain, metric, ecoregion_polygons, maps.footprint_of(target),
                               f"Ungauged regions: {target}", names=("held-out", "donor"))


def roi_sets(records: dict[str, dict], variant: str,
             rois: Sequence[str]) -> tuple[dict[str, dict[str, list[str]]], dict[str, str]]:
    """ROI → set → the sites that set added (``local``: the ROI's own), from the ``train_sites`` records.

    Also ROI → why it trained no models, where its local model was skipped. ROIs without records
    (not in the pipeline's namespaces) are left out.
    """
    sets: dict[str, dict[str, list[str]]] = {}
    notes: dict[str, str] = {}
    for roi in rois:
        by_set = {name: records.get(namespace(variant, roi, name)) for name in SETS}
        if by_set["local"] is None:
            continue
        own = [str(s) for s in by_set["local"]["sites"]]
        sets[roi] = {"local": own}
        for name in SETS[1:]:
            record = by_set[name] or {"sites": []}
            sets[roi][name] = sorted(set(map(str, record["sites"])) - set(own))
        if by_set["local"].get("skipped"):
            notes[roi] = f"no models: {by_set['local']['skipped']}"
    return sets, notes


def roi_map(site_regions: pd.DataFrame, target: str, similar: SimilarVsDissimilar, ecoregion_polygons: gpd.GeoDataFrame | None,
            *train_sites: dict, variant: str, namespaces: list[str]) -> Figure:
    """One panel per ROI of the run's target: its sites and the close, far and dissimilar sites added.

    ``train_sites`` follow ``namespaces`` (``sim.<variant>.<roi>.<set>``). A variant the run did
    not select (``similar_vs_dissimilar.size_controlled``) gets a figure saying so.
    """
    title = f"Similar vs dissimilar ({variant.replace('_', ' ')}): {target}, training sets per ROI"
    if VARIANTS[variant] not in similar.size_controlled:
        note = f"The {variant} variant was not run (similar_vs_dissimilar.size_controlled)."
        empty = Figure()
        empty.text(0.5, 0.5, note, ha="center")
        return empty
    records = dict(zip(namespaces, train_sites, strict=True))
    rois = [str(r) for r in for_target(similar.rois, target)]
    sets, notes = roi_sets(records, variant, rois)
    return maps.roi_map(_sites(site_regions), sets, ecoregion_polygons, maps.footprint_of(target), title, notes)

