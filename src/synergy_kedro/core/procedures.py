"""The two training procedures a run can follow, and the single settings each one stands for.

``paper`` trains as the code that made the paper's figures (fkwai/geolearn, 2019 for soil
moisture, December 2020 for streamflow): no batch cap, so a region's updates per epoch shrink with
its size; soil moisture tested from a cold start (the test period's inputs alone), streamflow warm.
``hydrodl`` trains as mhpi/hydroDL has since May 2021 (``aa2e787``): the batch capped at the
model's site count, every model tested warm. Both draw sites and window starts uniformly with
replacement (hydroDL's ``random_index`` does so even when the batch is capped) and use DropConnect.

``training.epoch_rule`` and ``evaluation.test_start`` override the procedure's choice one at a
time, so a user can ask what one difference does on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from synergy_kedro.core.parameters import Evaluation, Training
from synergy_kedro.core.targets import kind_of

PROCEDURES = ("paper", "hydrodl")
TEST_STARTS = ("cold", "warm")


@dataclass(frozen=True)
class Procedure:
    """A procedure resolved for one target: what a model record, log line and MLflow run state."""

    name: str
    epoch_rule: str
    test_start: str


def resolve(procedure: str, target: str, epoch_rule: str | None = None, test_start: str | None = None) -> Procedure:
    """The procedure's epoch rule and test start for ``target``, with the single keys that override them."""
    if procedure not in PROCEDURES:
        raise ValueError(f"training.procedure {procedure!r} is not one of {', '.join(PROCEDURES)}")
    rule = epoch_rule or ("paper" if procedure == "paper" else "capped")
    default_start = "cold" if procedure == "paper" and kind_of(target) == "state" else "warm"
    start = test_start or default_start
    if start not in TEST_STARTS:
        raise ValueError(f"evaluation.test_start {start!r} is not one of {', '.join(TEST_STARTS)}")
    return Procedure(procedure, rule, start)


def for_run(training: Training, evaluation: Evaluation | None, target: str) -> Procedure:
    """The run's procedure from its ``training`` and ``evaluation`` parameter blocks."""
    return resolve(training.procedure, target, training.epoch_rule, evaluation.test_start if evaluation else None)
