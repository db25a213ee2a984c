"""The parameters nodes read, as the validated model holds them: typed blocks, not the YAML's dicts.

Kedro puts each parameter block into the catalog as ``params:<block>``, a plain dict. The run's
hook replaces the blocks in :data:`TYPED_BLOCKS` by their pydantic models, so a node reads
``evaluation.min_obs`` checked once, with its default and range declared in one class, and
``params:target`` by the target's name with its kind and units (core/targets.py). The dataset
names stay, so ``kedro viz`` and the pipelines do not change.
"""

from __future__ import annotations

from typing import Any

from synergy_kedro.core.parameters import Parameters
from synergy_kedro.core.targets import describe

#: ``periods`` stays the YAML's ``[start, end]`` pairs of ISO dates, which the domain code slices
#: with; ``ingestion`` stays a dict, which each source's reader takes its own keys from.
TYPED_BLOCKS = ("training", "features", "evaluation", "partitioning", "global_vs_local", "ungauged_regions",
                "similar_vs_dissimilar")


def node_parameters(params: Parameters) -> dict[str, Any]:
    """``{"params:target": …, "params:<block>": <model>}`` for every typed block."""
    return {"params:target": describe(params.target, params.target_kind, params.target_units),
            **{f"params:{name}": getattr(params, name) for name in TYPED_BLOCKS}}
