"""The two training procedures: what each sets, and the single keys that override one choice at a time."""

from __future__ import annotations

import dataclasses

import pytest

from synergy_kedro.core.procedures import Procedure, resolve
from synergy_kedro.core.targets import TargetName


@pytest.mark.parametrize("procedure,target,rule,start", [
    ("paper", "soil_moisture", "paper", "cold"),  # geolearn 2019: soil moisture tested from the test period alone
    ("paper", "streamflow", "paper", "warm"),  # geolearn Dec 2020: streamflow warm
    ("hydrodl", "soil_moisture", "capped", "warm"),  # hydroDL since 2021: every model warm, batch capped
    ("hydrodl", "streamflow", "capped", "warm"),
    ("paper", TargetName("swe", "state"), "paper", "cold"),  # a user's state variable is tested as soil moisture
    ("paper", TargetName("discharge", "flux"), "paper", "warm"),
])
def test_each_procedure_sets_its_epoch_rule_and_test_start(procedure, target, rule, start):
    assert resolve(procedure, target) == Procedure(procedure, rule, start)


def test_an_override_changes_its_own_choice_and_leaves_the_other():
    assert resolve("paper", "soil_moisture", epoch_rule="capped") == Procedure("paper", "capped", "cold")
    assert resolve("paper", "soil_moisture", test_start="warm") == Procedure("paper", "paper", "warm")
    assert resolve("hydrodl", "streamflow", test_start="cold") == Procedure("hydrodl", "capped", "cold")
    assert resolve("hydrodl", "streamflow", epoch_rule="paper") == Procedure("hydrodl", "paper", "warm")


def test_an_unknown_procedure_or_test_start_is_refused_naming_the_key_and_choices():
    with pytest.raises(ValueError, match=r"training.procedure 'geolearn' is not one of paper, hydrodl"):
        resolve("geolearn", "soil_moisture")
    with pytest.raises(ValueError, match=r"evaluation.test_start 'hot' is not one of cold, warm"):
        resolve("paper", "streamflow", test_start="hot")


def test_a_resolved_procedure_cannot_be_changed_afterwards():
    with pytest.raises(dataclasses.FrozenInstanceError):
        resolve("paper", "streamflow").test_start = "cold"


def test_a_run_s_procedure_comes_from_its_training_and_evaluation_blocks():
    from synergy_kedro.core.procedures import for_run
    from tests.parameter_blocks import block

    paper = block("training", procedure="paper", epoch_rule=None)
    assert for_run(paper, block("evaluation", test_start=None), "soil_moisture") == Procedure("paper", "paper", "cold")
    assert for_run(paper, block("evaluation", test_start="warm"), "soil_moisture").test_start == "warm"
    assert for_run(paper, None, "streamflow") == Procedure("paper", "paper", "warm")  # no evaluation block: its own
    capped = block("training", procedure="paper", epoch_rule="capped")
    assert for_run(capped, None, "soil_moisture") == Procedure("paper", "capped", "cold")
