"""The per-model nodes: the procedure a model records, cold vs warm test starts, per-site learning curves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from synergy_kedro.model.training import train_lstm
from synergy_kedro.pipelines.modelling.nodes import (
    model_record,
    predict_model,
    split_site_curves,
    train_model,
    training_config,
)
from tests.model.synthetic import config
from tests.parameter_blocks import block

PERIODS = {"train": ["2015-04-01", "2016-03-31"], "test": ["2016-04-01", "2017-03-31"]}
FEATURES = block("features", dynamic=["prcp", "temp"], static=["sand"], transforms={})
STATS = {"soil_moisture": {"mean": 0.25, "std": 0.08, "transform": "none"}}


def _datasets(n_sites: int = 4) -> tuple[xr.Dataset, xr.Dataset]:
    """Normalised model inputs and a canonical dataset: the target follows a smoothed precipitation (memory)."""
    rng = np.random.default_rng(0)
    time = pd.date_range("2015-04-01", "2017-03-31", freq="D")
    prcp = rng.normal(size=(n_sites, time.size)).astype("float32")
    temp = np.sin(np.arange(time.size) * 2 * np.pi / 365)[None, :].repeat(n_sites, 0).astype("float32")
    kernel = np.exp(-np.arange(20) / 5.0)
    memory = np.stack([np.convolve(p, kernel)[: time.size] for p in prcp]) / kernel.sum()
    target = (memory + 0.3 * temp).astype("float32")
    sites = [f"s{i}" for i in range(n_sites)]
    inputs = xr.Dataset({"prcp": (("site", "time"), prcp), "temp": (("site", "time"), temp),
                         "sand": (("site",), rng.normal(size=n_sites).astype("float32")),
                         "soil_moisture": (("site", "time"), target)}, coords={"site": sites, "time": time})
    canonical = inputs.copy()
    canonical["soil_moisture"] = inputs["soil_moisture"] * 0.08 + 0.25
    return inputs, canonical


def _trained_record(test_start: str) -> tuple[dict, dict, xr.Dataset, xr.Dataset]:
    inputs, canonical = _datasets()
    sites = {"model": "global", "region": "all", "sites": list(inputs.site.values), "skipped": None}
    settings = config(hidden_size=8, dropout=0.0, window=30, batch_size=4, epochs=3, seed=1, device="cpu")
    from synergy_kedro.model.arrays import input_array, target_array

    x = input_array(inputs, sites["sites"], FEATURES.dynamic, FEATURES.static, PERIODS["train"])
    y = target_array(inputs, sites["sites"], "soil_moisture", PERIODS["train"])
    state, _ = train_lstm(x, y, settings)
    record = {**model_record(sites, FEATURES, "soil_moisture", settings, test_start=test_start), "state_dict": state}
    return record, sites, inputs, canonical


def test_cold_and_warm_starts_differ_only_over_the_first_weeks_of_the_test_period():
    """Cold: the LSTM sees the test period's inputs alone (the paper's soil-moisture test); warm: from training on."""
    warm_record, sites, inputs, canonical = _trained_record("warm")
    cold_record = {**warm_record, "procedure": {**warm_record["procedure"], "test_start": "cold"}}
    warm = predict_model(inputs, canonical, warm_record, sites, STATS, PERIODS)
    cold = predict_model(inputs, canonical, cold_record, sites, STATS, PERIODS)
    assert warm["time"].values[0] == cold["time"].values[0] == np.datetime64("2016-04-01")
    assert warm.sizes == cold.sizes
    gap = np.abs(warm["sim"].values - cold["sim"].values).max(axis=0)  # per day, over sites
    assert gap[:3].max() > 1e-3  # the states differ on the first test days
    assert gap[60:].max() < 1e-5  # ... and the LSTM has forgotten the difference two months in
    np.testing.assert_array_equal(warm["obs"].values, cold["obs"].values)


def test_the_record_says_which_procedure_trained_the_model():
    settings = training_config(block("training", procedure="paper", epoch_rule=None), "soil_moisture")
    assert (settings.procedure, settings.epoch_rule) == ("paper", "paper")
    hydrodl = training_config(block("training", procedure="hydrodl", epoch_rule=None), "soil_moisture")
    assert hydrodl.epoch_rule == "capped"
    override = training_config(block("training", procedure="hydrodl", epoch_rule="paper"), "soil_moisture")
    assert (override.procedure, override.epoch_rule) == ("hydrodl", "paper")
    sites = {"model": "local_F", "region": "F", "sites": ["a"], "skipped": None}
    assert model_record(sites, FEATURES, "soil_moisture", settings, test_start="cold")["procedure"] == {
        "name": "paper", "epoch_rule": "paper", "test_start": "cold"}


@pytest.mark.parametrize("procedure,target,start", [("paper", "soil_moisture", "cold"),
                                                     ("paper", "streamflow", "warm"),
                                                     ("hydrodl", "soil_moisture", "warm")])
def test_train_model_records_the_procedures_test_start(procedure, target, start):
    inputs, canonical = _datasets()
    if target == "streamflow":
        inputs = inputs.rename({"soil_moisture": "streamflow"})
    sites = {"model": "local_A", "region": "A", "sites": list(inputs.site.values), "skipped": None}
    training = block("training", hidden_size=4, epochs=1, iterations_per_epoch=1, window=30, batch_size=4,
                     procedure=procedure, epoch_rule=None, eval_every=None, device="cpu")
    model, history, curves = train_model(inputs, sites, FEATURES, target, PERIODS, training,
                                         evaluation=block("evaluation", test_start=None))
    assert model["procedure"]["test_start"] == start and model["procedure"]["name"] == procedure
    assert len(history) == 1 and curves.empty  # no eval_every: no learning curves


def test_site_curves_leave_the_history_and_carry_the_updates_so_far():
    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [1.0, 0.9, 0.8], "iterations": [5, 5, 5],
                            "test_median_RMSE": [0.1, np.nan, 0.05],
                            "site:RMSE:a": [0.1, np.nan, 0.04], "site:RMSE:b": [0.2, np.nan, 0.06],
                            "site:R:a": [0.5, np.nan, 0.7], "site:R:b": [0.4, np.nan, 0.8]})
    history.attrs["reused"] = True
    slim, curves = split_site_curves(history)
    assert list(slim.columns) == ["epoch", "loss", "iterations", "test_median_RMSE"] and slim.attrs["reused"]
    assert list(curves.columns) == ["epoch", "updates", "site", "R", "RMSE"] or list(curves.columns) == [
        "epoch", "updates", "site", "RMSE", "R"]
    assert curves["updates"].tolist() == [5, 5, 15, 15]  # cumulative updates at the scored epochs 1 and 3
    at3 = curves[curves["epoch"] == 3].set_index("site")
    assert at3.loc["a", "RMSE"] == 0.04 and at3.loc["b", "R"] == 0.8
