"""A killed training run resumes from its checkpoint and ends with the same weights."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from synergy_kedro.model.checkpoints import CheckpointStore
from synergy_kedro.model.training import TrainingDivergedError, train_lstm
from tests.model.synthetic import Killed, config, kill_after

CONFIG = config(hidden_size=8, dropout=0.3, window=10, batch_size=8, epochs=4, seed=11,
                        iterations_per_epoch=5, device="cpu")


def _data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 60, 3)).astype("float32")
    y = (x[..., 0] + 0.1 * rng.normal(size=(5, 60))).astype("float32")
    y[:, ::4] = np.nan
    return x, y


def _killed_after_two_epochs(tmp_path):
    """An uninterrupted reference run, and a checkpointed run of the same data killed after epoch 2."""
    x, y = _data()
    reference, ref_history = train_lstm(x, y, CONFIG)
    store = CheckpointStore(tmp_path / "ckpt.pt")
    with pytest.raises(Killed):
        train_lstm(x, y, CONFIG, checkpoints=store, on_epoch_end=kill_after(2))
    return x, y, reference, ref_history, store


def test_resumed_run_reaches_the_weights_of_an_uninterrupted_one(tmp_path):
    x, y, reference, ref_history, store = _killed_after_two_epochs(tmp_path)
    assert store.path.exists()
    epochs_run = []
    resumed, history = train_lstm(x, y, CONFIG, checkpoints=store, on_epoch_end=epochs_run.append)
    assert epochs_run == [3, 4]  # only the missing epochs ran
    assert all(np.array_equal(reference[k].numpy(), resumed[k].numpy()) for k in reference)
    assert history["loss"].tolist() == ref_history["loss"].tolist()


def test_a_finished_model_is_reused_and_a_shorter_budget_retrains(tmp_path):
    x, y = _data()
    store = CheckpointStore(tmp_path / "ckpt.pt")
    first, first_history = train_lstm(x, y, CONFIG, checkpoints=store)
    assert store.path.exists()  # the finished state stays
    epochs_run = []
    again, again_history = train_lstm(x, y, CONFIG, checkpoints=store, on_epoch_end=epochs_run.append)
    assert epochs_run == []  # nothing trained
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert again_history["loss"].tolist() == first_history["loss"].tolist()
    shorter = replace(CONFIG, epochs=2)
    reference, _ = train_lstm(x, y, shorter)
    state, _ = train_lstm(x, y, shorter, checkpoints=store, on_epoch_end=epochs_run.append)
    assert epochs_run == [1, 2]  # a 4-epoch model is not passed off as a 2-epoch one
    assert all(torch.equal(reference[k], state[k]) for k in reference)
    epochs_run.clear()
    store_longer = CheckpointStore(tmp_path / "ckpt2.pt")
    train_lstm(x, y, CONFIG, checkpoints=store_longer)
    train_lstm(x, y, replace(CONFIG, epochs=5), checkpoints=store_longer, on_epoch_end=epochs_run.append)
    assert epochs_run == [5]  # raising epochs continues the finished model


def test_checkpoint_of_other_data_is_not_resumed(tmp_path):
    x, y = _data()
    store = CheckpointStore(tmp_path / "ckpt.pt")
    with pytest.raises(Killed):
        train_lstm(x, y, CONFIG, checkpoints=store, on_epoch_end=kill_after(2))
    epochs_run = []
    train_lstm(x * 2, y, CONFIG, checkpoints=store, on_epoch_end=epochs_run.append)
    assert epochs_run == [1, 2, 3, 4]


def test_divergence_is_reported_not_silently_skipped():
    x, y = _data()
    x[0, 5, 0] = np.inf
    with pytest.raises(TrainingDivergedError, match="diverged"):
        train_lstm(x, y, config(hidden_size=4, window=60, batch_size=16, epochs=1, iterations_per_epoch=3,
                                        device="cpu"))


@pytest.mark.parametrize("per_pass", [None, 2])
def test_killed_grouped_run_resumes_to_the_weights_of_an_uninterrupted_one(tmp_path, per_pass):
    from synergy_kedro.model.grouped import train_grouped

    rng = np.random.default_rng(4)
    datasets = [_data(), (rng.normal(size=(3, 60, 3)).astype("float32"), rng.normal(size=(3, 60)).astype("float32")),
                (rng.normal(size=(4, 50, 3)).astype("float32"), rng.normal(size=(4, 50)).astype("float32"))]
    settings = config(**{**CONFIG.__dict__, "iterations_per_epoch": None})
    reference = train_grouped(datasets, settings, seeds=[1, 2, 3], max_models_per_pass=per_pass)
    store = CheckpointStore(tmp_path / "group.pt")
    with pytest.raises(Killed):
        train_grouped(datasets, settings, seeds=[1, 2, 3], max_models_per_pass=per_pass, checkpoints=store,
                      on_epoch_end=kill_after(2))
    assert any(tmp_path.iterdir())
    epochs_run = []
    resumed = train_grouped(datasets, settings, seeds=[1, 2, 3], max_models_per_pass=per_pass, checkpoints=store,
                            on_epoch_end=epochs_run.append)
    assert epochs_run == ([3, 4] if per_pass is None else [3, 4, 1, 2, 3, 4])  # the first pass resumes at 3
    for (ref_state, ref_history), (state, history) in zip(reference, resumed, strict=False):
        assert all(np.array_equal(ref_state[k].numpy(), state[k].numpy()) for k in ref_state)
        assert history["loss"].tolist() == ref_history["loss"].tolist()
    epochs_run.clear()
    reused = train_grouped(datasets, settings, seeds=[1, 2, 3], max_models_per_pass=per_pass, checkpoints=store,
                           on_epoch_end=epochs_run.append)
    assert epochs_run == []  # the finished group is reused, not retrained
    for (ref_state, _), (state, _) in zip(reference, reused, strict=False):
        assert all(np.array_equal(ref_state[k].numpy(), state[k].numpy()) for k in ref_state)


def test_a_corrupt_checkpoint_is_moved_aside_and_training_starts_over(tmp_path, caplog):
    x, y = _data()
    reference, _ = train_lstm(x, y, CONFIG)
    store = CheckpointStore(tmp_path / "checkpoint.pt")
    store.path.write_bytes(b"not a torch file, e.g. a disk that filled up mid-write")
    with caplog.at_level("WARNING"):
        state, history = train_lstm(x, y, CONFIG, checkpoints=store)
    assert all(np.array_equal(reference[k].numpy(), state[k].numpy()) for k in reference)
    assert list(history["epoch"]) == list(range(1, CONFIG.epochs + 1))
    assert (tmp_path / "checkpoint.pt.corrupt").read_bytes().startswith(b"not a torch file")
    assert "cannot be read" in caplog.text and "checkpoint.pt.corrupt" in caplog.text


def test_a_checkpoint_written_before_the_shared_loop_still_resumes(tmp_path):
    """Single-model checkpoints once held ``history`` (one list), not ``histories``: real runs have them on disk."""
    x, y, reference, ref_history, store = _killed_after_two_epochs(tmp_path)
    state = torch.load(store.path, weights_only=False)
    state["history"] = state.pop("histories")[0]
    torch.save(state, store.path)
    resumed, history = train_lstm(x, y, CONFIG, checkpoints=store)
    assert all(np.array_equal(reference[k].numpy(), resumed[k].numpy()) for k in reference)
    assert history["loss"].tolist() == ref_history["loss"].tolist()
