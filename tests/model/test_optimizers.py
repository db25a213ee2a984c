"""Adam as an alternative to the paper's AdaDelta, in both engines; settings checked up front."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.model.grouped import train_grouped
from synergy_kedro.model.training import train_lstm
from tests.model.synthetic import config, series

CONFIG = config(hidden_size=8, dropout=0.5, window=10, batch_size=8, epochs=2, seed=3, device="cpu")


def _data(n_sites, seed):
    return series(n_sites, n_time=60, seed=seed)


def test_adam_trains_other_weights_than_adadelta_and_grouped_matches_alone():
    datasets = [_data(n, seed=n) for n in (4, 9)]
    adam = replace(CONFIG, optimizer="adam", learning_rate=0.01)
    grouped = train_grouped(datasets, adam, labels=["a", "b"])
    for (x, y), (state_g, hist_g) in zip(datasets, grouped, strict=False):
        state_s, hist_s = train_lstm(x, y, adam)
        for key in state_s:
            np.testing.assert_allclose(state_g[key].numpy(), state_s[key].numpy(), rtol=0, atol=2e-5, err_msg=key)
        np.testing.assert_allclose(hist_g["loss"], hist_s["loss"], rtol=0, atol=2e-5)
        state_d, _ = train_lstm(x, y, CONFIG)
        assert not np.allclose(state_d["head.weight"].numpy(), state_s["head.weight"].numpy(), atol=1e-3)


def test_learning_rate_reaches_adadelta():
    x, y = _data(5, seed=1)
    default, _ = train_lstm(x, y, CONFIG)
    explicit, _ = train_lstm(x, y, replace(CONFIG, learning_rate=1.0))
    slower, _ = train_lstm(x, y, replace(CONFIG, learning_rate=0.1))
    assert all(torch.equal(default[k], explicit[k]) for k in default)
    assert not torch.equal(default["head.weight"], slower["head.weight"])


@pytest.mark.parametrize("key,value", [("optimizer", "sgd"), ("learning_rate", 0), ("learning_rate", -1e-3),
                                       ("learning_rate", "fast"), ("eval_every", 0)])
def test_bad_optimizer_settings_name_the_parameter(key, value):
    with pytest.raises(ConfigurationError, match=f"training.{key}"):
        config(**{key: value})
