"""A trained model as an MLflow *logged model*, and its training data as a dataset input of its run.

A logged model (not a plain ``model.pt`` artifact) fills the Models column and tab of the MLflow
UI and loads back as the network itself with ``mlflow.pytorch.load_model("models:/<model_id>")``.

Why ``mlflow.pytorch.save_model`` plus explicit client calls instead of ``mlflow.pytorch.log_model``:
``log_model`` takes a ``run_id`` but finds its store through the process-wide tracking URI and,
unless handed a ``model_id``, puts the model in the active (or Default) experiment; using it would
mean switching the global URI (which ``mlflow.set_tracking_uri`` also writes into the
environment) around every call. The steps below are those ``Model.log`` takes (create the logged
model, link it as the run's output, save, upload, finalize), with the tracker's own client.

Why pickle and not MLflow's default ``pt2`` (``torch.export``): the exported LSTM is specialised to
the example's sequence length (it refuses any other number of days), and exporting took ~2.5 s a
model against ~0.1 s for pickle (2 loaded cores). The pickle refers to
:class:`~synergy_kedro.model.lstm.HydroLSTM`, so it loads where this project is installed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import mlflow.pytorch
import numpy as np
import torch
import xarray as xr
from mlflow.entities import Dataset, DatasetInput, InputTag, LoggedModelOutput, LoggedModelStatus, Metric
from mlflow.exceptions import MlflowException
from mlflow.models import Model, ModelSignature
from mlflow.tracking import MlflowClient
from mlflow.types import Schema, TensorSpec
from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

from synergy_kedro.model.arrays import input_array
from synergy_kedro.model.lstm import HydroLSTM

EXAMPLE_SITES = 2
EXAMPLE_DAYS = 30
# Given, not inferred: MLflow infers them by loading the model in a subprocess, seconds per model.
# Without the local label (+cpu, +cu124), which pip cannot install from PyPI.
PIP_REQUIREMENTS = [f"torch=={torch.__version__.split('+')[0]}", f"numpy=={np.__version__}"]


class _PickleChoiceFilter(logging.Filter):
    """Drops MLflow's advice to use ``pt2`` on every model: pickle is chosen on purpose (module docstring)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Saving pytorch model by Pickle")


logging.getLogger("mlflow.pytorch").addFilter(_PickleChoiceFilter())


@dataclass(frozen=True)
class TrainingData:
    """What the models of one run share: where their data came from and how it was normalised.

    ``canonical`` is the canonical dataset's file (every source is read into it), ``model_inputs``
    the normalised inputs' file, opened lazily for a few days of input example (it can be GBs).
    """

    source: str
    canonical: str | None
    period: Sequence[str]
    normalisation_stats: Mapping[str, Mapping]
    model_inputs: str | None


def log_network(client: MlflowClient, experiment_id: str, run_id: str, name: str, record: Mapping,
                data: TrainingData, params: Mapping[str, str], sites: Sequence[str]) -> str:
    """The model of ``record`` as a logged model output of ``run_id``; returns its model id.

    Beside MLflow's files the model folder holds ``normalisation_stats.json`` (inputs must be
    normalised with it, and predictions denormalised with its target entry) and
    ``model_record.json`` (the record without weights: input order, target, training config).
    """
    logged = client.create_logged_model(experiment_id, name=logged_model_name(name), source_run_id=run_id,
                                        params=dict(params),
                                        tags={"model": name, "region": str(record.get("region"))})
    try:
        client.log_outputs(run_id, [LoggedModelOutput(logged.model_id, step=0)])
        net = network(record)
        example = input_example(data.model_inputs, sites, record["dynamic"], record["static"], data.period,
                                n_inputs=net.input_layer.in_features)
        inputs = [*record["dynamic"], *record["static"]]
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "model"
            mlflow.pytorch.save_model(
                net, folder, serialization_format="pickle", signature=signature(len(inputs)), input_example=example,
                pip_requirements=PIP_REQUIREMENTS,
                metadata={"inputs": inputs, "target": record.get("target"),
                          "normalisation": "normalisation_stats.json"},
                mlflow_model=Model(artifact_path=logged.artifact_location, model_uuid=logged.model_id, run_id=run_id,
                                   model_id=logged.model_id))
            (folder / "normalisation_stats.json").write_text(json.dumps(data.normalisation_stats, indent=1))
            weightless = {k: v for k, v in record.items() if k != "state_dict"}
            (folder / "model_record.json").write_text(json.dumps(weightless, indent=1, default=str))
            client.log_model_artifacts(logged.model_id, str(folder))
        _link_step_metrics(client, run_id, logged.model_id)
    except BaseException:
        client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
        raise
    client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    return logged.model_id


def registered_model_name(experiment: str, record: Mapping, namespace: str) -> str:
    """``<experiment>-<target>-<model>``: one registered model per model of an experiment and target.

    Each run that trains it adds a version, so the registry lists how a model changed between runs
    (the target is in the name because one namespace, e.g. ``global``, exists for both targets).
    """
    return f"{experiment}-{record.get('target')}-{logged_model_name(namespace)}".replace("/", "-").replace(":", "-")


def register_network(client: MlflowClient, name: str, model_id: str, run_id: str) -> str:
    """A new version of the registered model ``name`` (created on first use) from a logged model; returns the version."""
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, description="An LSTM of synergy_kedro; each version is one run's training.")
    version = client.create_model_version(name, source=f"models:/{model_id}", run_id=run_id, model_id=model_id)
    return str(version.version)


def logged_model_name(namespace: str) -> str:
    """``seed1.global`` → ``seed1-global``: MLflow refuses dots in model names (the tag ``model`` keeps them)."""
    return namespace.replace(".", "-")


def network(record: Mapping) -> HydroLSTM:
    """The trained network of a model record (``06_models/<model>/model.pt``), on CPU, in eval mode."""
    config, state = record["config"], record["state_dict"]
    net = HydroLSTM(state["input_layer.weight"].shape[1], config["hidden_size"], config["dropout"],
                    config["dropout_method"])
    net.load_state_dict(state)
    return net.eval()


def signature(n_inputs: int) -> ModelSignature:
    """(site, time, input) float32 → (site, time): any number of sites and days, as the network takes them.

    Written by hand because an inferred signature would fix the example's number of days.
    """
    return ModelSignature(inputs=Schema([TensorSpec(np.dtype("float32"), (-1, -1, n_inputs))]),
                          outputs=Schema([TensorSpec(np.dtype("float32"), (-1, -1))]))


def input_example(model_inputs: str | None, sites: Sequence[str], dynamic: Sequence[str], static: Sequence[str],
                  period: Sequence[str], n_inputs: int) -> np.ndarray:
    """The first days of the training period at the model's first sites, normalised as the network saw them.

    Zeros (the training mean after z-scoring) where the inputs' file is gone.
    """
    if model_inputs is None or not Path(model_inputs).exists():
        return np.zeros((min(EXAMPLE_SITES, max(len(sites), 1)), EXAMPLE_DAYS, n_inputs), np.float32)
    with xr.open_dataset(model_inputs) as ds:
        start = np.datetime64(period[0])
        days = (str(start), str(start + np.timedelta64(EXAMPLE_DAYS - 1, "D")))
        return input_array(ds, list(sites)[:EXAMPLE_SITES], dynamic, static, days)


def dataset_input(name: str, record: Mapping, sites: Sequence[str], data: TrainingData) -> DatasetInput:
    """The model's training data as an MLflow dataset (context ``training``).

    The digest covers the source, the sites, the period, the variables and the normalisation
    statistics fitted on the data, so it changes when the data a model trained on changes.
    """
    variables = [*record["dynamic"], *record["static"], record["target"]]
    period = [str(p) for p in data.period]
    key = json.dumps([data.source, sorted(map(str, sites)), period, variables, data.normalisation_stats],
                     sort_keys=True, default=str)
    profile = {"source": data.source, "sites": len(sites), "period": period,
               "observations": record.get("n_observations")}
    schema = {"mlflow_colspec": [{"name": v, "type": "double"} for v in variables]}
    dataset = Dataset(name=f"{data.source}.{name}", digest=hashlib.sha256(key.encode()).hexdigest()[:8],
                      source_type="local", source=json.dumps({"uri": data.canonical or data.source}),
                      schema=json.dumps(schema), profile=json.dumps(profile))
    return DatasetInput(dataset, tags=[InputTag(MLFLOW_DATASET_CONTEXT, "training")])


def _link_step_metrics(client: MlflowClient, run_id: str, model_id: str) -> None:
    """The run's step-0 metrics (test medians) also on the model, so the Models tab compares models on them.

    What ``Model.log`` does for the step it logs at: the same entries again with the model id
    (same timestamp, so the run's own metric history is unchanged).
    """
    keys = [key for key in client.get_run(run_id).data.metrics if key.startswith("test_")]
    metrics = [Metric(m.key, m.value, m.timestamp, m.step, model_id=model_id, run_id=run_id)
               for key in keys for m in client.get_metric_history(run_id, key) if m.step == 0]
    if metrics:
        client.log_batch(run_id, metrics=metrics)
