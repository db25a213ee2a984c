import numpy as np
import pytest

from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.model.training import predict_lstm, train_lstm
from tests.model.synthetic import config, series

CONFIG = config(hidden_size=8, dropout=0.0, window=10, batch_size=8, epochs=3, seed=3,
                        iterations_per_epoch=20, device="cpu")


def _data(seed=0):
    return series(6, seed=seed)


def test_training_is_deterministic_on_cpu():
    x, y = _data()
    a, ha = train_lstm(x, y, CONFIG)
    b, hb = train_lstm(x, y, CONFIG)
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
    assert ha["loss"].tolist() == hb["loss"].tolist()


def test_training_reduces_the_loss_and_predicts_every_step():
    x, y = _data()
    state, history = train_lstm(x, y, CONFIG)
    assert list(history["epoch"]) == [1, 2, 3]
    assert history["loss"].iloc[-1] < history["loss"].iloc[0]
    sim = predict_lstm(state, x, hidden_size=8, device="cpu")
    assert sim.shape == y.shape and np.isfinite(sim).all()


def test_min_iterations_floor_reaches_the_training_loop():
    x, y = _data()  # 6 sites × 80 days, batch 8 capped to 6: p = 60/80, ceil(log 0.01 / log 0.25) = 4 per epoch
    rule = config(hidden_size=4, dropout=0.0, window=60, batch_size=8, epochs=2, device="cpu", epoch_rule="capped")
    _, history = train_lstm(x, y, rule)
    assert history["iterations"].tolist() == [4, 4]
    assert history["batch_size"].tolist() == [6, 6]
    _, floored = train_lstm(x, y, config(**{**rule.__dict__, "min_iterations": 20}))
    assert floored["iterations"].tolist() == [10, 10]  # ceil(20 / 2) per epoch


@pytest.mark.parametrize("key,value", [("epochs", 0), ("epochs", -1), ("hidden_size", 0), ("batch_size", 0),
                                       ("window", 0), ("checkpoint_every", 0), ("dropout", 1.0), ("dropout", -0.1),
                                       ("dropout", 1.5), ("epochs", "abc"), ("dropout_method", "gal"),
                                       ("min_iterations", 0), ("epoch_rule", "uncapped")])
def test_impossible_training_settings_name_the_parameter(key, value):
    with pytest.raises(ConfigurationError, match=f"training.{key}"):
        config(**{key: value})
