"""Every parameter is checked, once, before anything runs; each fault names its key, value and choices."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader
from pydantic import ValidationError

from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.core.parameters import Parameters, validate_parameters

CONF = Path(__file__).resolve().parents[2] / "conf"
ENVS = sorted(p.name for p in CONF.iterdir() if p.is_dir() and p.name not in ("base", "local"))


def _parameters(env: str = "local") -> dict:
    loader = OmegaConfigLoader(str(CONF), base_env="base", default_run_env=env, merge_strategy={"parameters": "soft"})
    return copy.deepcopy(dict(loader["parameters"]))


def _error(params: dict) -> str:
    with pytest.raises(ConfigurationError) as caught:
        validate_parameters(params)
    return str(caught.value)


@pytest.mark.parametrize("env", ["base", *ENVS])
def test_every_shipped_environment_is_valid(env):
    params = validate_parameters(_parameters("local" if env == "base" else env))
    assert params.training.epochs >= 1


def test_a_misspelt_key_is_refused_with_the_known_keys():
    params = _parameters()
    params["training"]["epoch"] = 3
    message = _error(params)
    assert "- training.epoch: not a parameter; known keys here: procedure, epoch_rule, hidden_size, dropout," in message
    assert "epochs" in message.split("known keys here:")[1]


@pytest.mark.parametrize("key,value,expected", [
    ("epochs", -1, "training.epochs is -1: Input should be greater than or equal to 1"),
    ("epochs", "abc", "training.epochs is 'abc': Input should be a valid integer"),
    ("hidden_size", 0, "training.hidden_size is 0: Input should be greater than or equal to 1"),
    ("dropout", 1.5, "training.dropout is 1.5: Input should be less than 1"),
    ("checkpoint_every", 0, "training.checkpoint_every is 0"),
    ("optimizer", "sgd", "training.optimizer is 'sgd': Input should be 'adadelta' or 'adam'"),
    ("device", "gpu", "training.device: 'gpu' is not a torch device"),
    ("procedure", "hydroDL", "training.procedure is 'hydroDL': Input should be 'paper' or 'hydrodl'"),
    ("epoch_rule", "uncapped", "training.epoch_rule is 'uncapped': Input should be 'paper' or 'capped'"),
])
def test_a_bad_training_value_names_key_value_and_what_is_allowed(key, value, expected):
    params = _parameters()
    params["training"][key] = value
    assert expected in _error(params)


def test_a_bad_per_target_value_is_named_by_its_target_alone():
    params = _parameters()
    params["training"]["batch_size"] = {"soil_moisture": 100, "streamflow": 0}
    message = _error(params)
    assert "- training.batch_size.streamflow is 0" in message
    assert "- training.batch_size is" not in message  # not the union branch pydantic also tried


def test_every_fault_is_listed_at_once():
    params = _parameters()
    params["training"]["epochs"] = 0
    params["target"] = "stream temperature"
    params["periods"]["train"] = ["2010-01-01", "2010-02-30"]
    message = _error(params)
    assert "training.epochs is 0" in message
    assert "target is 'stream temperature': String should match pattern" in message
    assert "periods.train.end is '2010-02-30'" in message


def test_a_window_longer_than_the_training_period_is_refused_not_clipped():
    params = _parameters()
    params["periods"] = {"train": ["2010-01-01", "2010-01-20"], "test": ["2010-02-01", "2010-12-31"]}
    message = _error(params)
    assert "training.window is 30 days for soil_moisture, longer than the training period (20 days" in message


def test_periods_must_be_ordered_and_the_test_must_follow_training():
    params = _parameters()
    params["periods"]["train"] = ["2012-01-01", "2011-01-01"]
    assert "periods.train: ends (2011-01-01) before it starts (2012-01-01)" in _error(params)
    params = _parameters()
    params["periods"]["test"] = ["2012-06-01", "2013-12-31"]
    assert "the test period must start after the training period ends" in _error(params)


def test_a_per_target_value_missing_for_the_run_target_is_named():
    params = _parameters()
    params["evaluation"]["table_metrics"] = {"streamflow": ["NSE"]}
    assert "evaluation.table_metrics has no value for target soil_moisture" in _error(params)


def test_the_validated_parameters_are_frozen():
    params = validate_parameters(_parameters())
    with pytest.raises(ValidationError, match="frozen"):
        params.training.epochs = 3  # type: ignore[misc]


def test_the_second_experiment_overrides_only_the_keys_it_sets():
    from synergy_kedro.core.parameters import merged_training

    params = _parameters()
    merged = merged_training(params["training"], params["similar_vs_dissimilar"]["training"]).model_dump()
    assert merged["epochs"] == params["similar_vs_dissimilar"]["training"]["epochs"]
    whole = validate_parameters(params).training.model_dump()
    assert {k: v for k, v in merged.items() if k != "epochs"} == {k: v for k, v in whole.items() if k != "epochs"}
    params["similar_vs_dissimilar"]["training"]["hiden_size"] = 8
    assert "- similar_vs_dissimilar.training.hiden_size: not a parameter" in _error(params)
    params = _parameters()
    params["similar_vs_dissimilar"]["training"].update(device="gpu", epochs=0)
    message = _error(params)
    assert "- similar_vs_dissimilar.training.device: 'gpu' is not a torch device" in message
    assert "- similar_vs_dissimilar.training.epochs is 0: Input should be greater than or equal to 1" in message
    params = _parameters()
    params["similar_vs_dissimilar"]["training"]["window"] = {"soil_moisture": 5000, "streamflow": 365}
    assert "similar_vs_dissimilar.training.window is 5000 days for soil_moisture" in _error(params)


def test_a_null_in_the_override_is_null_not_inherited():
    from synergy_kedro.core.parameters import TrainingOverride, merged_training

    params = _parameters("caravan")
    training = {**params["training"], "eval_every": 5, "epochs": 45}
    assert merged_training(training, {"eval_every": None}).eval_every is None
    override = TrainingOverride.model_validate({"eval_every": None})  # as Kedro hands the nested block
    merged = merged_training(training, override)
    assert merged.eval_every is None and merged.epochs == 45  # an unset key of the model is not a null
    params["training"]["eval_every"] = 5
    params["similar_vs_dissimilar"]["training"] = {"epochs": 4, "eval_every": None}
    validate_parameters(params)  # a null override is allowed


def test_a_bad_test_start_is_named_with_its_choices():
    params = _parameters()
    params["evaluation"]["test_start"] = "hot"
    assert "evaluation.test_start is 'hot': Input should be 'cold' or 'warm'" in _error(params)


@pytest.mark.parametrize("env", ["base", "paper", "smap_hydrodl", "caravan", "camels_us", "smap"])
def test_the_paper_procedure_is_the_default_everywhere(env):
    params = validate_parameters(_parameters("local" if env == "base" else env))
    assert params.training.procedure == "paper" and params.training.epoch_rule is None
    assert params.evaluation.test_start is None


def test_value_check_settings_are_checked_by_key():
    params = _parameters()
    params["ingestion"]["plausibility"]["bounds"]["prcp"] = [100, 0]
    params["ingestion"]["plausibility"]["on_implausible"] = "drop"
    params["features"]["static_missing"] = "zero"
    message = _error(params)
    assert "ingestion.plausibility.bounds.prcp: [100.0, 0.0]: the upper bound is below the lower one" in message
    assert "ingestion.plausibility.on_implausible is 'drop': Input should be 'missing' or 'error'" in message
    assert "features.static_missing is 'zero': Input should be 'drop', 'mean' or 'error'" in message


def test_a_target_of_the_users_needs_its_kind_and_takes_that_kinds_defaults():
    params = _parameters()
    params["target"] = "swe"
    assert "target 'swe' is not soil_moisture or streamflow: set target_kind: state" in _error(params)
    params["target_kind"] = "state"
    checked = validate_parameters(params)
    from synergy_kedro.core.parameters import for_target

    assert for_target(checked.training.window, "swe", "state") == 30  # soil moisture's window
    assert for_target(checked.training.batch_size, "discharge", "flux") == 500  # streamflow's batch
    params["target"], params["target_kind"] = "streamflow", "state"
    assert "target streamflow is a flux; target_kind state contradicts it" in _error(params)


BLOCKS = [name for name in Parameters.model_fields if isinstance(_parameters().get(name), dict)]


def test_every_block_is_covered():
    assert set(BLOCKS) == {"periods", "training", "features", "evaluation", "ingestion", "partitioning",
                           "global_vs_local", "similar_vs_dissimilar", "ungauged_regions"}


@pytest.mark.parametrize("block", BLOCKS)
def test_an_unknown_key_in_any_block_is_refused_naming_it(block):
    params = _parameters()
    params[block]["no_such_key"] = 1
    assert f"- {block}.no_such_key: not a parameter; known keys here:" in _error(params)


@pytest.mark.parametrize("path,value,expected", [
    ("training.epochs", 0, "training.epochs is 0: Input should be greater than or equal to 1"),
    ("features.static_missing", "zero", "features.static_missing is 'zero'"),
    ("evaluation.min_obs", 0, "evaluation.min_obs is 0"),
    ("ingestion.plausibility.max_share_out_of_range", 2, "ingestion.plausibility.max_share_out_of_range is 2"),
    ("partitioning.min_sites", 0, "partitioning.min_sites is 0"),
    ("global_vs_local.seed_repeats", 0, "global_vs_local.seed_repeats is 0"),
    ("similar_vs_dissimilar.min_sites", 0, "similar_vs_dissimilar.min_sites is 0"),
    ("ungauged_regions.folds", 1, "ungauged_regions.folds is 1: Input should be greater than or equal to 2"),
    ("target_kind", "liquid", "target_kind is 'liquid': Input should be 'state' or 'flux'"),
])
def test_an_out_of_range_value_in_any_block_is_refused_naming_it(path, value, expected):
    params = _parameters()
    *blocks, key = path.split(".")
    node = params
    for name in blocks:
        node = node[name]
    node[key] = value
    assert expected in _error(params)
