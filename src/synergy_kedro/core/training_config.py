"""How one model (or a group) trains: the validated ``training`` block, resolved for one target.

The parameter model (:class:`synergy_kedro.core.parameters.Training`) is the one place a training
setting is declared, with its type, range and meaning; the YAML holds its default. The engine
needs the same settings with the per-target values picked (window, batch) and the procedure
resolved (epoch rule, test start), as plain attributes it can hash and copy:
:func:`config_for` derives that :class:`TrainingConfig` from the block, so adding a setting
means adding it to the YAML and to ``Training`` (and here only if the engine reads it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from synergy_kedro.core import procedures
from synergy_kedro.core.parameters import Training, validate_block
from synergy_kedro.core.parameters import for_target as _pick

#: Settings that do not shape the weights: a finished model stays reusable when only these change.
NOT_IN_FINGERPRINT = ("epochs", "checkpoint_every", "eval_every", "grouped", "max_models_per_pass")


@dataclass(frozen=True, kw_only=True)
class TrainingConfig:
    """The engine's view of ``Training`` for one target (field meanings: ``core/parameters.py``)."""

    hidden_size: int
    dropout: float
    dropout_method: str
    window: int
    batch_size: int
    epochs: int
    seed: int
    device: str
    checkpoint_every: int
    precision: str
    optimizer: str
    learning_rate: float | None = None
    iterations_per_epoch: int | None = None
    min_iterations: int | None = None
    eval_every: int | None = None
    procedure: str = "hydrodl"
    epoch_rule: str = "capped"
    grouped: bool = False
    max_models_per_pass: int | None = None


def config_for(training: Training | Mapping[str, Any], target: str) -> TrainingConfig:
    """The ``training`` block (validated here if given as a dict, naming ``training.<key>`` on error) for ``target``."""
    block = validate_block(Training, training, "training")
    procedure = procedures.resolve(block.procedure, target, block.epoch_rule)
    values = {f.name: _pick(getattr(block, f.name), target) for f in fields(TrainingConfig)
              if f.name not in ("procedure", "epoch_rule")}
    return TrainingConfig(**values, procedure=procedure.name, epoch_rule=procedure.epoch_rule)
