"""The paper's training settings for the benchmarks: ``conf/base`` with ``conf/paper`` over it, as
``kedro run --env paper`` resolves them (hidden 256, 500 epochs, AdaDelta, DropConnect 0.5), so the
benchmarks hold no settings of their own beyond what each one varies."""

from __future__ import annotations

from pathlib import Path

from kedro.config import OmegaConfigLoader

from synergy_kedro.model.training import TrainingConfig
from synergy_kedro.pipelines.modelling.nodes import training_config

CONF = Path(__file__).resolve().parents[1] / "conf"


def paper_config(target: str = "soil_moisture", **changes) -> TrainingConfig:
    """The ``training`` block of ``--env paper`` for ``target`` (window/batch 30/100 or 365/500), with ``changes``."""
    loader = OmegaConfigLoader(str(CONF), base_env="base", default_run_env="paper",
                               merge_strategy={"parameters": "soft"})
    base = training_config(dict(loader["parameters"]["training"]), target)
    return TrainingConfig(**{**base.__dict__, **changes})
