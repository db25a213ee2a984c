"""A trained model logged through ``RunTracker`` is an MLflow logged model that loads back as the same network,
with the normalisation it needs beside it and its training data as a dataset input of its nested run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import mlflow
import mlflow.pytorch
import numpy as np
import pandas as pd
import pytest
import torch
import xarray as xr
from mlflow.entities import LoggedModelStatus
from mlflow.models import Model

from synergy_kedro.evaluation.metrics import METRIC_COLUMNS
from synergy_kedro.kedro_glue.tracking import RunTracker
from synergy_kedro.kedro_glue.tracking_models import EXAMPLE_DAYS, EXAMPLE_SITES, TrainingData
from synergy_kedro.model.training import predict_lstm, train_lstm
from synergy_kedro.pipelines.modelling.nodes import model_record
from tests.model.synthetic import config, series
from tests.parameter_blocks import block

SITES = ["s0", "s1", "s2", "s3"]
FEATURES = block("features", dynamic=["prcp", "temp"], static=["elev"])
PERIOD = ["2010-01-01", "2010-03-21"]  # 80 days, the synthetic series' length
STATS = {v: {"transform": "none", "mean": 1.0, "std": 2.0} for v in ["prcp", "temp", "elev", "soil_moisture"]}


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """One small trained model logged into a throw-away SQLite store, as the tracking hooks log it."""
    tmp = tmp_path_factory.mktemp("tracking")
    x, y = series(len(SITES))
    time = pd.date_range(PERIOD[0], periods=x.shape[1])
    inputs = xr.Dataset({"prcp": (("site", "time"), x[..., 0]), "temp": (("site", "time"), x[..., 1]),
                         "elev": ("site", x[:, 0, 2])}, coords={"site": SITES, "time": time})
    inputs.to_netcdf(tmp / "model_inputs.nc")
    x[..., 2] = x[:, :1, 2]  # the static input, repeated along time as the network sees it
    settings = config(hidden_size=8, epochs=2, window=20, batch_size=4, iterations_per_epoch=3)
    state, history = train_lstm(x, y, settings, label="local_X")
    train_sites = {"model": "seed1.local_X", "region": "X", "sites": SITES, "skipped": None}
    record = {**model_record(train_sites, FEATURES, "soil_moisture", settings), "state_dict": state,
              "n_observations": int(np.isfinite(y).sum())}
    site_metrics = pd.DataFrame({"site": SITES, **{m: [0.1, 0.2, 0.3, 0.4] for m in METRIC_COLUMNS}})
    data = TrainingData(source="virtual_conus", canonical=str(tmp / "canonical.nc"), period=PERIOD,
                        normalisation_stats=STATS, model_inputs=str(tmp / "model_inputs.nc"))
    uri = f"sqlite:///{(tmp / 'mlflow.db').as_posix()}"
    tracker = RunTracker(uri, "test", (tmp / "mlartifacts").as_uri())
    parent = tracker.start("global_vs_local", {}, {})
    args = (record, history, site_metrics, train_sites, data)
    run_id = tracker.log_model("seed1.local_X", *args)
    (model,) = tracker.client.search_logged_models([tracker.experiment_id])
    return {"tracker": tracker, "client": tracker.client, "uri": uri, "parent": parent, "run_id": run_id,
            "model": model, "record": record, "x": x, "tmp": tmp, "args": args}


@pytest.fixture
def store(logged, monkeypatch):
    """The test store as the tracking URI, as a user sets it before ``mlflow.pytorch.load_model``."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", logged["uri"])
    return logged


def test_the_model_is_a_ready_output_of_its_nested_run_named_after_its_namespace(logged):
    model, client = logged["model"], logged["client"]
    assert model.name == "seed1-local_X" and model.tags["model"] == "seed1.local_X"  # MLflow refuses dots in names
    assert model.status == LoggedModelStatus.READY
    assert model.source_run_id == logged["run_id"]
    run = client.get_run(logged["run_id"])
    assert [o.model_id for o in run.outputs.model_outputs] == [model.model_id]
    assert model.params["training.hidden_size"] == "8"
    assert model.metrics and {m.key for m in model.metrics} >= {"test_median_RMSE", "test_median_R"}
    assert [m.step for m in client.get_metric_history(logged["run_id"], "test_median_RMSE")] == [0]


def test_the_parent_run_is_left_as_it_was(logged):
    parent = logged["client"].get_run(logged["parent"])
    assert parent.info.status == "RUNNING"
    assert not parent.outputs or not parent.outputs.model_outputs
    assert mlflow.active_run() is None


def test_the_loaded_network_reproduces_the_models_predictions_on_its_input_example_and_any_length(store):
    loaded = mlflow.pytorch.load_model(f"models:/{store['model'].model_id}")
    assert not loaded.training
    folder = _download(store, "dl")
    example = Model.load(folder).load_input_example(folder)
    state = store["record"]["state_dict"]
    for x in (example, store["x"]):  # 2 sites × 30 days, 4 sites × 80 days
        with torch.no_grad():
            sim = loaded(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(sim, predict_lstm(state, x, 8, "cpu"), rtol=0, atol=1e-6)


def test_the_input_example_is_the_first_days_of_normalised_inputs_and_the_signature_takes_any_length(store):
    folder = _download(store, "dl1")
    mlmodel = Model.load(folder)
    example = mlmodel.load_input_example(folder)
    np.testing.assert_array_equal(example, store["x"][:EXAMPLE_SITES, :EXAMPLE_DAYS])
    assert example.dtype == np.float32
    assert mlmodel.signature.inputs.inputs[0].shape == (-1, -1, 3)
    assert mlmodel.metadata["inputs"] == ["prcp", "temp", "elev"]
    pyfunc = mlflow.pyfunc.load_model(f"models:/{store['model'].model_id}")
    assert pyfunc.predict(store["x"][:1, :50]).shape == (1, 50)


def test_normalisation_stats_and_the_weightless_record_lie_beside_the_model(store):
    folder = _download(store, "dl2")
    assert json.loads((Path(folder) / "normalisation_stats.json").read_text()) == STATS
    record = json.loads((Path(folder) / "model_record.json").read_text())
    assert record["dynamic"] == ["prcp", "temp"] and record["static"] == ["elev"]
    assert record["config"]["hidden_size"] == 8 and "state_dict" not in record


def test_the_training_data_is_a_dataset_input_of_the_nested_run(logged):
    (entry,) = logged["client"].get_run(logged["run_id"]).inputs.dataset_inputs
    dataset = entry.dataset
    assert dataset.name == "virtual_conus.seed1.local_X"
    profile = json.loads(dataset.profile)
    assert profile == {"source": "virtual_conus", "sites": 4, "period": PERIOD,
                       "observations": logged["record"]["n_observations"]}
    assert json.loads(dataset.source)["uri"].endswith("canonical.nc")
    assert [c["name"] for c in json.loads(dataset.schema)["mlflow_colspec"]] == ["prcp", "temp", "elev",
                                                                                 "soil_moisture"]
    assert {(t.key, t.value) for t in entry.tags} == {("mlflow.data.context", "training")}
    assert len(dataset.digest) == 8


def test_logging_a_model_warns_nothing_on_the_console(logged, caplog):
    """MLflow's advice to export with ``pt2`` does not fit this LSTM (see tracking_models) and is dropped."""
    with caplog.at_level(logging.WARNING):
        logged["tracker"].log_model("local_Y", *logged["args"])
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_models_are_registered_only_when_asked(logged):
    assert logged["client"].search_registered_models() == []  # register_models: false, the default


def test_with_register_models_each_run_adds_a_version_that_loads_as_the_network(logged, monkeypatch):
    uri = f"sqlite:///{(logged['tmp'] / 'registry.db').as_posix()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    tracker = RunTracker(uri, "test", (logged["tmp"] / "registry_artifacts").as_uri(), register_models=True)
    children = []
    for _ in range(2):  # two kedro runs training the same model
        tracker.start("global_vs_local", {}, {})
        children.append(tracker.log_model("seed1.local_X", *logged["args"]))
        tracker.logged_models.clear()
    name = "test-soil_moisture-seed1-local_X"
    versions = sorted(tracker.client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version))
    assert [(int(v.version), v.run_id) for v in versions] == [(1, children[0]), (2, children[1])]
    models = {m.source_run_id: m.model_id for m in tracker.client.search_logged_models([tracker.experiment_id])}
    assert [v.source for v in versions] == [f"models:/{models[c]}" for c in children]
    loaded = mlflow.pytorch.load_model(f"models:/{name}/2")
    with torch.no_grad():
        sim = loaded(torch.from_numpy(logged["x"])).numpy()
    np.testing.assert_allclose(sim, predict_lstm(logged["record"]["state_dict"], logged["x"], 8, "cpu"), atol=1e-6)


def _download(store: dict, folder: str) -> str:
    """The logged model's folder, as a user downloads it."""
    return mlflow.artifacts.download_artifacts(f"models:/{store['model'].model_id}", dst_path=str(store["tmp"] / folder))
