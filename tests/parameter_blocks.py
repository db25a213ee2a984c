"""Parameter blocks for tests that call nodes directly: the shipped defaults, validated, with a test's changes.

In a run the hooks hand nodes these blocks; a test gets the same from ``conf/base``, so a node
never sees a block a run could not give it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader
from pydantic import BaseModel

from synergy_kedro.core.parameters import Parameters, validate_block, validate_parameters

CONF = Path(__file__).resolve().parents[1] / "conf"


@cache
def shipped(env: str = "base") -> Parameters:
    loader = OmegaConfigLoader(str(CONF), base_env="base", default_run_env=env, merge_strategy={"parameters": "soft"})
    return validate_parameters(loader["parameters"])


def block(name: str, env: str = "base", **changes: Any) -> BaseModel:
    """``conf/<env>``'s block ``name`` with ``changes`` (checked by the block's model, as in a run)."""
    default = getattr(shipped(env), name)
    return validate_block(type(default), {**default.model_dump(exclude_unset=True), **changes}, name)
