"""The engine's config is the validated training block for one target: nothing added, nothing dropped."""

from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.core.parameters import Training
from synergy_kedro.core.training_config import NOT_IN_FINGERPRINT, TrainingConfig, config_for

BASE = yaml.safe_load((Path(__file__).resolve().parents[2] / "conf/base/parameters_modelling.yml").read_text())["training"]


def test_per_target_values_are_picked_and_the_procedure_resolved():
    soil = config_for({**BASE, "procedure": "paper", "epoch_rule": None}, "soil_moisture")
    flow = config_for({**BASE, "procedure": "hydrodl", "epoch_rule": None}, "streamflow")
    assert (soil.window, soil.batch_size, soil.epoch_rule) == (BASE["window"]["soil_moisture"],
                                                               BASE["batch_size"]["soil_moisture"], "paper")
    assert (flow.window, flow.batch_size, flow.epoch_rule) == (BASE["window"]["streamflow"],
                                                               BASE["batch_size"]["streamflow"], "capped")


def test_every_engine_setting_is_a_parameter_and_none_is_dropped():
    engine = {f.name for f in fields(TrainingConfig)}
    assert engine <= set(Training.model_fields)
    config = config_for({**BASE, "grouped": True, "max_models_per_pass": 4}, "soil_moisture")
    assert (config.grouped, config.max_models_per_pass) == (True, 4)  # read by the grouped node, not re-read raw
    assert set(NOT_IN_FINGERPRINT) <= engine


def test_a_bad_or_unknown_key_names_training_key():
    with pytest.raises(ConfigurationError, match=r"training\.hidden_size is 0"):
        config_for({**BASE, "hidden_size": 0}, "soil_moisture")
    with pytest.raises(ConfigurationError, match=r"training\.hiden_size: not a parameter"):
        config_for({**BASE, "hiden_size": 8}, "soil_moisture")
