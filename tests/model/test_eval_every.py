"""Learning curves: the test skill every k epochs, recorded without changing the training."""

from dataclasses import replace

import numpy as np
import torch

from synergy_kedro.model.grouped import train_grouped
from synergy_kedro.model.training import predict_lstm, train_lstm
from tests.model.synthetic import config, series

CONFIG = config(hidden_size=8, dropout=0.5, window=10, batch_size=8, epochs=5, seed=3, device="cpu")


def _data(n_sites, seed):
    return series(n_sites, n_time=60, seed=seed)


def _scorer(x, y, calls):
    """Median squared error of the weights on (x, y); also draws from torch's global RNG, as building a model does."""
    def evaluate(state):
        calls.append({k: v.clone() for k, v in state.items()})
        torch.rand(1000)
        sim = predict_lstm(state, x, CONFIG.hidden_size, device="cpu")
        return {"test_median_MSE": float(np.nanmedian((sim - y) ** 2))}
    return evaluate


def test_eval_every_scores_epochs_k_2k_and_the_last_without_changing_the_weights():
    x, y = _data(6, seed=0)
    plain, plain_history = train_lstm(x, y, CONFIG)
    calls = []
    scored, history = train_lstm(x, y, replace(CONFIG, eval_every=2), evaluate=_scorer(x, y, calls))
    assert all(torch.equal(plain[k], scored[k]) for k in plain)
    assert history["loss"].tolist() == plain_history["loss"].tolist()
    assert history.loc[history["test_median_MSE"].notna(), "epoch"].tolist() == [2, 4, 5]
    assert all(torch.equal(calls[-1][k], scored[k]) for k in scored)  # the last score is of the final weights
    final = float(np.nanmedian((predict_lstm(scored, x, 8, device="cpu") - y) ** 2))
    assert history["test_median_MSE"].iloc[-1] == final


def test_without_eval_every_the_evaluator_is_not_called():
    x, y = _data(6, seed=0)
    calls = []
    _, history = train_lstm(x, y, CONFIG, evaluate=_scorer(x, y, calls))
    assert calls == [] and "test_median_MSE" not in history


def test_grouped_engine_scores_each_model_as_alone():
    datasets = [_data(n, seed=n) for n in (4, 9)]
    config = replace(CONFIG, eval_every=2, epochs=3)
    grouped = train_grouped(datasets, config, labels=["a", "b"],
                            evaluators=[_scorer(x, y, []) for x, y in datasets])
    plain = train_grouped(datasets, replace(config, eval_every=None), labels=["a", "b"])
    for (x, y), (state, history), (plain_state, _) in zip(datasets, grouped, plain, strict=False):
        assert all(torch.equal(state[k], plain_state[k]) for k in state)
        _, alone = train_lstm(x, y, config, evaluate=_scorer(x, y, []))
        assert history.loc[history["test_median_MSE"].notna(), "epoch"].tolist() == [2, 3]
        np.testing.assert_allclose(history["test_median_MSE"], alone["test_median_MSE"], rtol=1e-3)
