"""Which pipelines exist and what they are made of.

``global_vs_local`` is the whole first experiment (ingestion → features → partitioning → one
model per namespace → comparison). The stages are registered on their own too, so
``kedro run --pipeline ingestion`` refreshes the cached canonical Dataset alone.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline

from synergy_kedro.pipelines import feature_engineering, global_vs_local, ingestion, partitioning


def register_pipelines() -> dict[str, Pipeline]:
    gvl = global_vs_local.pipeline.create_pipeline()
    return {
        "ingestion": ingestion.pipeline.create_pipeline(),
        "partitioning": partitioning.pipeline.create_pipeline(),
        "feature_engineering": feature_engineering.pipeline.create_pipeline(),
        "global_vs_local": gvl,
        "__default__": gvl,
    }
