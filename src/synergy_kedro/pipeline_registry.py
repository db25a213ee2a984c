"""Which pipelines exist and what they are made of.

``global_vs_local`` is the first experiment (ingestion → features → partitioning → one model per
namespace → comparison), ``similar_vs_dissimilar`` the second, ``ungauged_regions`` the third. The stages are registered on their
own too, so ``kedro run --pipeline ingestion`` refreshes the cached canonical Dataset alone.
Which namespaces exist (the scheme's regions, the ROIs) and whether models train grouped comes
from the run's parameters, read here once (:mod:`synergy_kedro.kedro_glue.structure_config`) and passed
down: every ``create_pipeline`` depends only on its arguments.
"""

from __future__ import annotations

from collections.abc import Mapping

from kedro.pipeline import Pipeline

from synergy_kedro.core.parameters import merged_training
from synergy_kedro.kedro_glue import structure_config
from synergy_kedro.pipelines import (
    feature_engineering,
    global_vs_local,
    ingestion,
    partitioning,
    procedure_comparison,
    similar_vs_dissimilar,
    ungauged_regions,
)
from synergy_kedro.regions.schemes import scheme_regions


def register_pipelines() -> dict[str, Pipeline]:
    params = structure_config.parameters()
    if params is None:  # no conf folder (a bare import outside a project): the defaults' shape
        return _pipelines(scheme_regions(None), "virtual_conus", False, False, 1, [], None)
    second = merged_training(params.training, params.similar_vs_dissimilar.training)
    return _pipelines(scheme_regions(params.partitioning), params.ingestion.source,
                      params.training.grouped, second.grouped, params.global_vs_local.seed_repeats,
                      configured_rois(params.similar_vs_dissimilar.rois), params.ungauged_regions.folds)


def _pipelines(regions: list[str], source: str, grouped: bool, second_grouped: bool, repeats: int, rois: list[str],
               folds: int | None) -> dict[str, Pipeline]:
    gvl = global_vs_local.pipeline.create_pipeline(regions, source, grouped=grouped, seed_repeats=repeats)
    ungauged = ungauged_regions.pipeline.create_pipeline(regions, source, grouped=grouped, folds=folds,
                                                         seed_repeats=repeats)
    svd = similar_vs_dissimilar.pipeline.create_pipeline(rois, source, grouped=second_grouped)
    return {
        "ingestion": ingestion.pipeline.create_pipeline(source),
        "partitioning": partitioning.pipeline.create_pipeline(),
        "feature_engineering": feature_engineering.pipeline.create_pipeline(),
        "global_vs_local": gvl,
        "similar_vs_dissimilar": svd,
        "ungauged_regions": ungauged,
        "procedure_comparison": procedure_comparison.pipeline.create_pipeline(),
        "__default__": gvl,
    }


def configured_rois(rois: Mapping[str, list[str]]) -> list[str]:
    """ROIs of both targets (a namespace each; the run's target picks which train); conf/base has the paper's."""
    return list(dict.fromkeys(str(code) for codes in rois.values() for code in codes))
