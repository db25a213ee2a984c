"""Which pipelines exist and what they are made of.

``global_vs_local`` is the first experiment (ingestion → features → partitioning → one model per
namespace → comparison), ``similar_vs_dissimilar`` the second, ``ungauged_regions`` the third. The stages are registered on their
own too, so ``kedro run --pipeline ingestion`` refreshes the cached canonical Dataset alone.
Which namespaces exist (the scheme's regions, the ROIs) and whether models train grouped comes
from the run's parameters, read here once (:mod:`synergy_kedro.kedro_glue.structure_config`) and passed
down: every ``create_pipeline`` depends only on its arguments.
"""

from __future__ import annotations

from kedro.pipeline import Pipeline

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
from synergy_kedro.pipelines.modelling.grouped_pipeline import is_grouped
from synergy_kedro.regions.schemes import scheme_regions


def register_pipelines() -> dict[str, Pipeline]:
    params = structure_config.parameters()
    source = (params.get("ingestion") or {}).get("source", "virtual_conus")
    repeats = int((params.get("global_vs_local") or {}).get("seed_repeats", 1))
    gvl = global_vs_local.pipeline.create_pipeline(scheme_regions(params.get("partitioning", {})), source,
                                                   grouped=is_grouped(params), seed_repeats=repeats)
    ungauged = ungauged_regions.pipeline.create_pipeline(
        scheme_regions(params.get("partitioning", {})), source, grouped=is_grouped(params),
        folds=(params.get("ungauged_regions") or {}).get("folds"), seed_repeats=repeats)
    svd = similar_vs_dissimilar.pipeline.create_pipeline(
        configured_rois(params), source, grouped=is_grouped(params, block="similar_vs_dissimilar"))
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


def configured_rois(params: dict) -> list[str]:
    """ROIs of both targets (a namespace each; the run's target picks which train); conf/base has the paper's."""
    rois = (params.get("similar_vs_dissimilar") or {}).get("rois") or {}
    return list(dict.fromkeys(str(code) for codes in rois.values() for code in codes))
