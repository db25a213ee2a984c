"""Which pipelines exist and what they are made of.

``global_vs_local`` is the first experiment (ingestion → features → partitioning → one model per
namespace → comparison), ``similar_vs_dissimilar`` the second. The stages are registered on their
own too, so ``kedro run --pipeline ingestion`` refreshes the cached canonical Dataset alone.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kedro.config import OmegaConfigLoader
from kedro.pipeline import Pipeline

from synergy_kedro.pipelines import (feature_engineering, global_vs_local, ingestion, partitioning,
                                     similar_vs_dissimilar)
from synergy_kedro.regions import PAPER_ROIS

log = logging.getLogger(__name__)


def register_pipelines() -> dict[str, Pipeline]:
    gvl = global_vs_local.pipeline.create_pipeline()
    svd = similar_vs_dissimilar.pipeline.create_pipeline(configured_rois())
    return {
        "ingestion": ingestion.pipeline.create_pipeline(),
        "partitioning": partitioning.pipeline.create_pipeline(),
        "feature_engineering": feature_engineering.pipeline.create_pipeline(),
        "global_vs_local": gvl,
        "similar_vs_dissimilar": svd,
        "__default__": gvl,
    }


def configured_rois(conf_source: Path | None = None) -> list[str]:
    """ROIs of both targets from ``parameters_similar_vs_dissimilar`` (base + KEDRO_ENV or local).

    Pipeline structure cannot depend on run-time parameters in Kedro, so the namespaces are built
    from the configuration on disk; the paper's ROIs are the fallback outside a project folder.
    """
    conf_source = conf_source or Path.cwd() / "conf"
    rois: dict[str, list[str]] = {k: list(v) for k, v in PAPER_ROIS.items()}
    if conf_source.is_dir():
        loader = OmegaConfigLoader(str(conf_source), base_env="base",
                                   default_run_env=os.environ.get("KEDRO_ENV", "local"))
        try:
            rois = dict(loader["parameters"]["similar_vs_dissimilar"]["rois"])
        except KeyError:
            log.warning("No similar_vs_dissimilar.rois in %s; using the paper's ROIs.", conf_source)
    return list(dict.fromkeys(str(code) for codes in rois.values() for code in codes))
