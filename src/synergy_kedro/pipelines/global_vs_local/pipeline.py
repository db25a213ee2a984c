"""The first experiment: one model on all regions vs one model per sub-region (A–R)."""

from kedro.pipeline import Pipeline, node

from synergy_kedro.pipelines import evaluation, feature_engineering, ingestion, modelling, partitioning
from synergy_kedro.pipelines.partitioning.nodes import global_vs_local_site_sets
from synergy_kedro.regions import SUBREGIONS

MODEL_NAMES = ["global", *(f"local_{letter}" for letter in SUBREGIONS)]


def site_sets() -> Pipeline:
    return Pipeline([
        node(global_vs_local_site_sets, ["site_regions", "params:partitioning"],
             {name: f"{name}.train_sites" for name in MODEL_NAMES}, name="global_vs_local_site_sets"),
    ])


def create_pipeline(**kwargs) -> Pipeline:
    models = sum((modelling.pipeline.create_pipeline(namespace=name) for name in MODEL_NAMES), Pipeline([]))
    return (ingestion.pipeline.create_pipeline() + partitioning.pipeline.create_pipeline()
            + feature_engineering.pipeline.create_pipeline() + site_sets() + models
            + evaluation.pipeline.global_vs_local_comparison(MODEL_NAMES))
