from kedro.pipeline import Pipeline, node

from .nodes import assign_regions


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([
        node(assign_regions, ["canonical_dataset", "params:partitioning"], "site_regions", name="assign_regions"),
    ])
