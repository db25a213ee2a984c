from kedro.pipeline import Pipeline, node

from .nodes import ingest


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([
        node(ingest, ["params:ingestion", "params:features", "params:target"], "canonical_dataset", name="ingest"),
    ])
