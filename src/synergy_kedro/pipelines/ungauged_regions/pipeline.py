"""The third experiment: every region treated as ungauged in turn (or in ``ungauged_regions.folds`` groups).

Per group of held-out regions, a model trained on every other region's sites (the ``heldout_*``
namespaces, the global model's procedure and budget) predicts the held-out regions' sites; per
region, the local model of its donor region (:mod:`synergy_kedro.regions.donors`) predicts them
too. The global and local models are the first experiment's namespaces: a run after
``global_vs_local`` with the same data and settings reuses them (their checkpoints' fingerprints
match), otherwise they train here. With ``training.grouped: true`` the held-out models train
together in one node, as the local models do.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline, node

from synergy_kedro.pipelines import feature_engineering, ingestion, modelling, partitioning
from synergy_kedro.pipelines.evaluation import map_nodes
from synergy_kedro.pipelines.evaluation.nodes import training_budget
from synergy_kedro.pipelines.evaluation.pipeline import learning_curves_node, sites_map_node
from synergy_kedro.pipelines.evaluation.ungauged_nodes import compare_ungauged, ungauged_regions_report
from synergy_kedro.pipelines.global_vs_local.pipeline import site_sets as global_vs_local_site_sets
from synergy_kedro.pipelines.modelling import grouped_pipeline
from synergy_kedro.pipelines.named_partial import named_partial
from synergy_kedro.regions.schemes import model_names, seed_repeat_names
from synergy_kedro.regions.ungauged_design import heldout_names

from .nodes import donor_site_metrics, donors, ungauged_site_sets

MODEL_INPUTS = ["model_inputs", "canonical_dataset", "normalisation_stats", "params:periods", "params:evaluation"]


def models(names: list[str], grouped: bool, group_name: str) -> Pipeline:
    if grouped:
        return grouped_pipeline.create_pipeline(names, name=group_name)
    return sum((modelling.pipeline.create_pipeline(namespace=name) for name in names), Pipeline([]))


def comparison(local: list[str], heldout: list[str]) -> Pipeline:
    everything = ["global", *local, *heldout]
    return Pipeline([
        node(donors, ["site_regions", *(f"{name}.train_sites" for name in local)], "ungauged_regions_donors",
             name="ungauged_regions_donors"),
        node(donor_site_metrics, ["ungauged_regions_donors", "site_regions", *MODEL_INPUTS,
                                  *(f"{name}.model" for name in local)],
             "ungauged_regions_donor_metrics", name="ungauged_regions_donor_metrics"),
        node(named_partial(training_budget, names=everything), [f"{name}.training_history" for name in everything],
             "ungauged_regions_budget", name="ungauged_regions_budget"),
        node(named_partial(compare_ungauged, n_local=len(local)),
             ["site_regions", "params:evaluation", "params:target", "params:partitioning",
              "ungauged_regions_donor_metrics", "global.site_metrics",
              *(f"{name}.site_metrics" for name in [*local, *heldout])],
             ["ungauged_regions_table", "ungauged_regions_markdown", "ungauged_regions_boxplots"],
             name="compare_ungauged_regions"),
        node(map_nodes.heldout_vs_donor_map,
             ["site_regions", "params:evaluation", "params:target", "ecoregion_polygons",
              "ungauged_regions_donor_metrics", *(f"{name}.site_metrics" for name in heldout)],
             "ungauged_regions_difference_map", name="ungauged_regions_difference_map"),
        learning_curves_node("ungauged_regions", ["global", *heldout], "Learning curves, global and held-out models"),
        sites_map_node("ungauged_regions", "Sites by sub-region"),
        node(ungauged_regions_report,
             ["ungauged_regions_table", "ungauged_regions_donors", "params:target", "params:training",
              "params:periods", "params:ingestion", "params:ungauged_regions", "params:evaluation",
              "ungauged_regions_budget", "ungauged_regions_convergence", "ingestion_checks"],
             "ungauged_regions_report", name="ungauged_regions_report"),
    ])


def create_pipeline(regions: list[str], source: str = "virtual_conus", grouped: bool = False,
                    folds: int | None = None, seed_repeats: int = 1, **kwargs) -> Pipeline:
    """``heldout_*`` per group of regions (``folds``), with the first experiment's ``global`` and ``local_*``.

    ``seed_repeats`` only keeps the first experiment's site-set node identical (its repeats' sets
    are written, not trained here), so the two pipelines can run together.
    """
    names = model_names(regions)
    local = [name for name in names if name != "global"]
    heldout = heldout_names(regions, folds)
    repeats = seed_repeat_names(names, seed_repeats)
    design = Pipeline([node(ungauged_site_sets, ["site_regions", "params:partitioning", "params:ungauged_regions"],
                            {name: f"{name}.train_sites" for name in heldout}, name="ungauged_regions_site_sets")])
    trained = (modelling.pipeline.create_pipeline(namespace="global") + models(local, grouped, "train_local_models_grouped")
               + models(heldout, grouped, "train_heldout_models_grouped"))
    return (ingestion.pipeline.create_pipeline(source) + partitioning.pipeline.create_pipeline()
            + feature_engineering.pipeline.create_pipeline() + global_vs_local_site_sets(names + repeats) + design + trained
            + comparison(local, heldout))
