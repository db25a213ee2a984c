"""Nodes read the validated parameter model: typed blocks, the target with its kind."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from synergy_kedro.core.parameters import Evaluation, Training
from synergy_kedro.kedro_glue.node_parameters import TYPED_BLOCKS, node_parameters
from tests.parameter_blocks import shipped


def test_every_typed_block_is_the_validated_models_own_and_frozen():
    params = shipped("caravan")
    entries = node_parameters(params)
    assert set(entries) == {"params:target", *(f"params:{name}" for name in TYPED_BLOCKS)}
    for name in TYPED_BLOCKS:
        assert entries[f"params:{name}"] is getattr(params, name)
    assert isinstance(entries["params:training"], Training) and isinstance(entries["params:evaluation"], Evaluation)
    with pytest.raises(ValidationError, match="frozen"):
        entries["params:evaluation"].min_obs = 1  # type: ignore[misc]


def test_the_target_carries_its_kind_and_picks_its_metrics():
    entries = node_parameters(shipped("caravan"))
    target, evaluation = entries["params:target"], entries["params:evaluation"]
    assert target == "streamflow" and target.kind == "flux"
    assert evaluation.metrics_for(target)[0] == "NSE"
    assert node_parameters(shipped("base"))["params:evaluation"].metrics_for("soil_moisture")[0] == "RMSE"
