"""The second experiment: per ROI, local vs +close vs +far vs +dissimilar training data.

Kedro builds a pipeline's structure before it reads parameters, so the ROIs that get namespaces
come from ``register_pipelines`` (the run's ``similar_vs_dissimilar.rois``); at run time the
target and ``size_controlled`` choose which of them train. With
``similar_vs_dissimilar.training.grouped: true`` (or ``training.grouped``) the four sets of each
(variant, ROI) are trained together in one node. The models train with ``training`` overridden by
``similar_vs_dissimilar.training`` (only the keys it sets).
"""

from __future__ import annotations

from collections.abc import Sequence

from kedro.pipeline import Pipeline, node

from synergy_kedro.core.parameters import merged_training
from synergy_kedro.pipelines import evaluation, feature_engineering, ingestion, modelling, partitioning
from synergy_kedro.pipelines.modelling import grouped_pipeline
from synergy_kedro.pipelines.named_partial import named_partial
from synergy_kedro.pipelines.partitioning.nodes import similar_vs_dissimilar_site_sets
from synergy_kedro.regions.experiment_design import SETS, VARIANTS, all_namespaces, namespace, roi_slug


def site_sets(namespaces: list[str]) -> Pipeline:
    func = named_partial(similar_vs_dissimilar_site_sets, namespaces=namespaces)
    return Pipeline([
        node(func, ["site_regions", "params:similar_vs_dissimilar", "params:target"],
             {ns: f"{ns}.train_sites" for ns in namespaces}, name="similar_vs_dissimilar_site_sets"),
    ])


#: The training settings of this experiment's models: ``training`` with this experiment's overrides.
TRAINING = "similar_vs_dissimilar_training"


def training_settings() -> Pipeline:
    """One visible node, so ``kedro viz`` shows where the second experiment's settings come from."""
    return Pipeline([node(merged_training, ["params:training", "params:similar_vs_dissimilar.training"], TRAINING,
                          name="similar_vs_dissimilar_training")])


def create_pipeline(rois: Sequence[str], source: str = "virtual_conus", grouped: bool = False,
                    **kwargs) -> Pipeline:
    """``grouped`` trains each (variant, ROI)'s four sets in one node (``register_pipelines`` passes the run's setting)."""
    namespaces = all_namespaces(rois)
    if grouped:
        models = sum((grouped_pipeline.create_pipeline([namespace(variant, roi, s) for s in SETS], name="train_grouped",
                                                       training=TRAINING, namespace=f"sim.{variant}.{roi_slug(roi)}")
                      for variant in VARIANTS for roi in rois), Pipeline([]))
    else:
        models = sum((modelling.pipeline.create_pipeline(ns, training=TRAINING) for ns in namespaces), Pipeline([]))
    return (ingestion.pipeline.create_pipeline(source) + partitioning.pipeline.create_pipeline()
            + feature_engineering.pipeline.create_pipeline() + site_sets(namespaces) + training_settings() + models
            + evaluation.pipeline.similar_vs_dissimilar_comparisons(list(rois)))
