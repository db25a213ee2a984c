"""One model: train on its site set over the training period, predict the test period."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.core import procedures
from synergy_kedro.core.normalisation import denormalise
from synergy_kedro.core.parameters import Evaluation, Features, Training
from synergy_kedro.core.training_config import config_for
from synergy_kedro.evaluation.metrics import site_metrics
from synergy_kedro.model.arrays import input_array, target_array
from synergy_kedro.model.checkpoints import CheckpointStore, fingerprint
from synergy_kedro.model.grouped import train_grouped
from synergy_kedro.model.training import Evaluator, TrainingConfig, predict_lstm, train_lstm

log = logging.getLogger(__name__)

HISTORY_COLUMNS = ["epoch", "loss", "batch_size", "iterations", "seconds"]
SITE_CURVE_COLUMNS = ["epoch", "updates", "site"]
#: A learning curve's per-site value in a history row: ``site:<metric>:<site id>`` (split off by :func:`split_site_curves`).
SITE_KEY = "site:"


def training_config(training: Training, target: str) -> TrainingConfig:
    """The ``training`` block for one target (the paper: window 30/365, batch 100/500), as the engine reads it."""
    return config_for(training, target)


def train_model(model_inputs: xr.Dataset, train_sites: dict, features: Features, target: str, periods: dict,
                training: Training, checkpoint: CheckpointStore | None = None,
                canonical_dataset: xr.Dataset | None = None, normalisation_stats: dict | None = None,
                evaluation: Evaluation | None = None,
                run_identity: dict | None = None) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """Fit the LSTM on the model's sites over the training period; a skipped set yields no weights.

    ``checkpoint`` (the catalog's ``<namespace>.checkpoint``) lets a killed run resume. A seed
    repeat (``train_sites["seed_offset"]`` = r) trains with ``training.seed + r``. With
    ``training.eval_every`` the history also holds the test period's median skill every k epochs
    (:func:`skill_evaluator`; needs the canonical dataset, statistics and evaluation settings).
    ``run_identity`` (the run's ids, put into the catalog by the run's hooks) goes into the record,
    so the MLflow hooks log only models that this run wrote. The third output holds the learning
    curves per site (empty without ``eval_every``): what a verdict owes to the training budget is
    read from them.
    """
    config = _seeded(training_config(training, target), train_sites)
    test_start = procedures.for_run(training, evaluation, target).test_start
    meta = model_record(train_sites, features, target, config, run_identity, test_start)
    if train_sites["skipped"]:
        return ({**meta, "state_dict": None, "n_observations": 0}, pd.DataFrame(columns=HISTORY_COLUMNS),
                pd.DataFrame(columns=SITE_CURVE_COLUMNS))
    x = input_array(model_inputs, train_sites["sites"], features.dynamic, features.static, periods["train"])
    y = target_array(model_inputs, train_sites["sites"], target, periods["train"])
    evaluate = _evaluator(config, model_inputs, canonical_dataset, train_sites, features, target, periods,
                          normalisation_stats, evaluation, test_start)
    started = time.time()
    state, history = train_lstm(x, y, config, label=train_sites["model"], checkpoints=checkpoint, evaluate=evaluate)
    return _trained(meta, state, history, config, x, y, (started, time.time()))


def _seeded(config: TrainingConfig, train_sites: dict) -> TrainingConfig:
    """A seed repeat (``train_sites["seed_offset"]`` = r) trains with ``training.seed + r``, in either engine."""
    return replace(config, seed=config.seed + int(train_sites.get("seed_offset", 0)))


def _trained(meta: dict, state: dict, history: pd.DataFrame, config: TrainingConfig, x: np.ndarray, y: np.ndarray,
             span: tuple[float, float]) -> tuple[dict, pd.DataFrame, pd.DataFrame]:
    """The three outputs of a trained model, as both engines write them: record, history, per-site curves."""
    history, curves = split_site_curves(history)
    record = {**meta, "state_dict": state, "n_observations": int(np.isfinite(y).sum()),
              "reused": bool(history.attrs.get("reused", False)), "trained": span,
              "fingerprint": fingerprint(config, x, y)}
    return record, history, curves


def split_site_curves(history: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The history without its per-site columns, and those as a long table (epoch, updates so far, site, metrics).

    The per-site values travel in the history rows during training so that a resumed run keeps
    them (the checkpoint holds the histories); on disk they are a table of their own.
    """
    site_columns = [c for c in history.columns if str(c).startswith(SITE_KEY)]
    slim = history.drop(columns=site_columns)
    slim.attrs = dict(history.attrs)
    if not site_columns:
        return slim, pd.DataFrame(columns=SITE_CURVE_COLUMNS)
    scored = history[history[site_columns].notna().any(axis=1)]
    updates = history["iterations"].cumsum().loc[scored.index]
    long = scored[site_columns].set_axis(pd.MultiIndex.from_tuples(
        [tuple(str(c).removeprefix(SITE_KEY).split(":", 1)) for c in site_columns], names=["metric", "site"]), axis=1)
    long = long.assign(epoch=scored["epoch"].to_numpy(), updates=updates.to_numpy()).set_index(["epoch", "updates"])
    table = long.stack("site", future_stack=True).reset_index()
    table.columns.name = None
    return slim, table[[*SITE_CURVE_COLUMNS, *[c for c in table.columns if c not in SITE_CURVE_COLUMNS]]]


def predict_model(model_inputs: xr.Dataset, canonical_dataset: xr.Dataset, model: dict, train_sites: dict,
                  normalisation_stats: dict, periods: dict) -> xr.Dataset:
    """Simulate the model's test sites (default: its training sites) over the test period.

    A warm start runs the LSTM from the start of training, so its state on the first test day has
    seen the years before (the paper's streamflow test); a cold start (the paper's soil-moisture
    test, ``master.test`` loading the test range only) runs the test period's inputs alone from a
    zero state. The record's procedure says which. Output in physical units, observations beside.
    """
    target = model["target"]
    test = slice(*periods["test"])
    if model["state_dict"] is None:
        time = canonical_dataset["time"].sel(time=test).values
        empty = (("site", "time"), np.empty((0, len(time)), np.float32))
        return xr.Dataset({"obs": empty, "sim": empty}, coords={"site": np.array([], dtype=object), "time": time},
                          attrs={"model": model["model"], "target": target, "skipped": model["skipped"]})
    sites = train_sites.get("test_sites", train_sites["sites"])
    test_start = (model.get("procedure") or {}).get("test_start", "warm")
    x, obs = _test_inputs(model_inputs, canonical_dataset, sites, model["dynamic"], model["static"], target, periods,
                          test_start)
    sim = denormalise(predict_lstm(model["state_dict"], x, model["config"]["hidden_size"], model["config"]["device"]),
                      normalisation_stats[target])
    out = xr.Dataset({"obs": obs, "sim": (("site", "time"), sim.astype(np.float32))}, coords=obs.coords)
    out = out.sel(time=test)
    out["sim"].attrs = {"units": canonical_dataset[target].attrs.get("units", ""), "model": model["model"]}
    return out.drop_vars([c for c in out.coords if c not in ("site", "time")]).assign_attrs(model=model["model"], target=target)


def _test_inputs(model_inputs: xr.Dataset, canonical_dataset: xr.Dataset, sites: Sequence[str], dynamic: list[str],
                 static: list[str], target: str, periods: dict, test_start: str = "warm",
                 ) -> tuple[np.ndarray, xr.DataArray]:
    """Inputs from the start of training (warm) or of the test period (cold) to its end, and the observations."""
    span = (periods["train" if test_start == "warm" else "test"][0], periods["test"][1])
    x = input_array(model_inputs, sites, dynamic, static, span)
    obs = canonical_dataset[target].sel(site=list(sites), time=slice(*span)).transpose("site", "time")
    return x, obs


def skill_evaluator(model_inputs: xr.Dataset, canonical_dataset: xr.Dataset, sites: Sequence[str],
                    features: Features, target: str, periods: dict, normalisation_stats: dict, evaluation: Evaluation,
                    config: TrainingConfig, test_start: str = "warm") -> Evaluator:
    """Test skill of a model's weights on ``sites``, as :func:`predict_model` and :func:`evaluate_model` score it.

    Gives ``test_median_<metric>`` for the target's table metrics (RMSE and R for soil moisture,
    NSE and R for streamflow), ``test_sites`` (sites scored) and each scored site's values
    (``site:<metric>:<site>``, split off by :func:`split_site_curves`). The inputs are built once;
    each call is one forward pass over the span.
    """
    x, obs = _test_inputs(model_inputs, canonical_dataset, sites, features.dynamic, features.static, target,
                          periods, test_start)
    in_test = (obs["time"] >= np.datetime64(periods["test"][0])).values
    obs_test, names = obs.values[:, in_test], [str(s) for s in obs["site"].values]
    metrics = evaluation.metrics_for(target)

    def evaluate(state: dict) -> dict[str, float]:
        sim = denormalise(predict_lstm(state, x, config.hidden_size, config.device), normalisation_stats[target])
        table = site_metrics(obs_test, sim[:, in_test], names, min_obs=evaluation.min_obs)
        scored = table[metrics].notna().all(axis=1)
        per_site = {f"{SITE_KEY}{m}:{site}": float(value)
                    for m in metrics for site, value in table.loc[scored, m].items()}
        return {**{f"test_median_{m}": float(table.loc[scored, m].median()) for m in metrics},
                "test_sites": float(scored.sum()), **per_site}

    return evaluate


def _evaluator(config: TrainingConfig, model_inputs: xr.Dataset, canonical_dataset: xr.Dataset | None,
               train_sites: dict, features: Features, target: str, periods: dict, normalisation_stats: dict | None,
               evaluation: Evaluation | None, test_start: str = "warm") -> Evaluator | None:
    if not config.eval_every:
        return None
    if canonical_dataset is None or normalisation_stats is None or evaluation is None:
        raise ValueError("training.eval_every needs the canonical dataset, normalisation statistics and evaluation "
                         "settings passed to the training node.")
    sites = train_sites.get("test_sites", train_sites["sites"])
    return skill_evaluator(model_inputs, canonical_dataset, sites, features, target, periods, normalisation_stats,
                           evaluation, config, test_start)


def evaluate_model(predictions: xr.Dataset, evaluation: Evaluation) -> pd.DataFrame:
    """Per-site NSE, KGE, RMSE, r and bias over the test period."""
    table = site_metrics(predictions["obs"].values, predictions["sim"].values, predictions["site"].values.astype(str),
                         min_obs=evaluation.min_obs)
    return table.reset_index()


def model_record(train_sites: dict, features: Features, target: str, config: TrainingConfig,
                 run_identity: dict | None = None, test_start: str = "warm") -> dict:
    """What a trained model's record holds besides its weights (as :func:`train_model` writes it).

    ``run`` names the kedro run (session id, MLflow parent run id) that wrote the record; a file on
    disk with another run's ids is an earlier run's output, whatever its modification time.
    ``procedure`` says how it was trained and is to be tested (cold or warm start).
    """
    design = {k: v for k, v in train_sites.items() if k not in ("model", "region", "sites", "test_sites", "skipped")}
    return {"model": train_sites["model"], "region": train_sites["region"], "target": str(target), "design": design,
            "dynamic": list(features.dynamic), "static": list(features.static),
            "config": config.__dict__, "n_sites": len(train_sites["sites"]), "skipped": train_sites["skipped"],
            "procedure": {"name": config.procedure, "epoch_rule": config.epoch_rule, "test_start": test_start},
            "run": dict(run_identity or {})}


def train_group(model_inputs: xr.Dataset, features: Features, target: str, periods: dict, training: Training,
                checkpoint: CheckpointStore | None, canonical_dataset: xr.Dataset, normalisation_stats: dict,
                evaluation: Evaluation, run_identity: dict | None, *train_sites: dict,
                namespaces: Sequence[str]) -> dict[str, object]:
    """Fit the models of a group at once (``training.grouped: true``); every namespace still gets its outputs.

    ``train_sites`` are the site sets of ``namespaces``, in order. Returns ``{"<ns>.model": …,
    "<ns>.training_history": …}`` for every namespace, with the same content as :func:`train_model`
    would write for it: skipped sets get the skipped record, the others are trained together by
    :func:`synergy_kedro.model.grouped.train_grouped` (same weights as one by one, within float
    rounding; ``training.max_models_per_pass`` bounds memory). A group with a single model to
    train uses :func:`train_lstm`. ``checkpoint`` (the catalog's ``<group>.checkpoint``) makes the
    group's training resumable.
    """
    if len(train_sites) != len(namespaces):
        raise ValueError(f"{len(namespaces)} namespaces but {len(train_sites)} site sets.")
    config = training_config(training, target)
    test_start = procedures.for_run(training, evaluation, target).test_start
    outputs: dict[str, object] = {}
    pending = []
    for ns, sites in zip(namespaces, train_sites, strict=False):
        if sites["skipped"]:
            outputs[f"{ns}.model"], outputs[f"{ns}.training_history"], outputs[f"{ns}.site_curves"] = train_model(
                model_inputs, sites, features, target, periods, training, evaluation=evaluation,
                run_identity=run_identity)
            continue
        x = input_array(model_inputs, sites["sites"], features.dynamic, features.static, periods["train"])
        y = target_array(model_inputs, sites["sites"], target, periods["train"])
        pending.append((ns, sites, _seeded(config, sites), x, y))
    evaluators = [_evaluator(own, model_inputs, canonical_dataset, sites, features, target, periods,
                             normalisation_stats, evaluation, test_start) for _, sites, own, _, _ in pending]
    started = time.time()
    if len(pending) == 1:
        ns, sites, own, x, y = pending[0]
        results = [train_lstm(x, y, own, label=sites["model"], checkpoints=checkpoint, evaluate=evaluators[0])]
    else:
        per_pass = config.max_models_per_pass
        results = train_grouped([(x, y) for _, _, _, x, y in pending], config,
                                labels=[s["model"] for _, s, _, _, _ in pending],
                                seeds=[own.seed for _, _, own, _, _ in pending], max_models_per_pass=per_pass,
                                checkpoints=checkpoint, evaluators=evaluators)
    span = (started, time.time())
    for (ns, sites, own, x, y), (state, history) in zip(pending, results, strict=False):
        meta = model_record(sites, features, target, own, run_identity, test_start)
        outputs[f"{ns}.model"], outputs[f"{ns}.training_history"], outputs[f"{ns}.site_curves"] = _trained(
            meta, state, history, own, x, y, span)
    return outputs
