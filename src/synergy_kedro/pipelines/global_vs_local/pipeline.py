"""The first experiment: one model on all regions vs one model per sub-region (A–R)."""

from kedro.pipeline import Pipeline, node

from synergy_kedro.pipelines import evaluation, feature_engineering, ingestion, modelling, partitioning
from synergy_kedro.pipelines.partitioning.nodes import global_vs_local_site_sets
from synergy_kedro.region_schemes import model_names


def site_sets(names: list[str]) -> Pipeline:
    return Pipeline([
        node(global_vs_local_site_sets, ["site_regions", "params:partitioning"],
             {name: f"{name}.train_sites" for name in names}, name="global_vs_local_site_sets"),
    ])


def create_pipeline(regions: list[str], source: str = "virtual_conus", **kwargs) -> Pipeline:
    """``global`` plus ``local_<region>`` for every region of the partitioning scheme."""
    names = model_names(regions)
    models = sum((modelling.pipeline.create_pipeline(namespace=name) for name in names), Pipeline([]))
    return (ingestion.pipeline.create_pipeline(source) + partitioning.pipeline.create_pipeline()
            + feature_engineering.pipeline.create_pipeline() + site_sets(names) + models
            + evaluation.pipeline.global_vs_local_comparison(names))
