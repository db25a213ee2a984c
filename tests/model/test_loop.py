"""The shared epoch loop: a killed run resumes to the same weights and history; checkpoints and scores when due."""

import pytest
import torch

from synergy_kedro.model.checkpoints import CheckpointStore
from synergy_kedro.model.loop import evaluation_due, run_epochs, run_evaluation
from tests.model.synthetic import Killed, kill_after


class ToyEngine:
    """Two 'models' whose weights take a random step per epoch from the engine's own generator."""

    labels = ("a", "b")
    steps_per_epoch = 3

    def __init__(self):
        self.w = [torch.zeros(2), torch.zeros(2)]
        self.generator = torch.Generator().manual_seed(5)
        self.epochs_run = []

    def run_epoch(self, epoch, tick):
        self.epochs_run.append(epoch)
        rows = []
        for g in range(2):
            for _ in range(self.steps_per_epoch):
                self.w[g] = self.w[g] + torch.rand(2, generator=self.generator) * (g + 1)
                tick()
            rows.append({"loss": float(self.w[g].sum()), "batch_size": 4, "iterations": self.steps_per_epoch})
        return rows

    def snapshot(self):
        return {"w": [w.clone() for w in self.w], "rng": self.generator.get_state()}

    def restore(self, state):
        self.w = [w.clone() for w in state["w"]]
        self.generator.set_state(state["rng"])

    def weights(self, g):
        return {"w": self.w[g].clone()}


def _without_seconds(histories):
    return [[{k: v for k, v in row.items() if k != "seconds"} for row in h] for h in histories]


def test_a_killed_run_resumes_to_the_weights_and_history_of_an_uninterrupted_one(tmp_path):
    whole = ToyEngine()
    expected, first = run_epochs(whole, 4)
    assert first == 1 and [row["epoch"] for row in expected[0]] == [1, 2, 3, 4]

    store = CheckpointStore(tmp_path / "checkpoint.pt")
    with pytest.raises(Killed):
        run_epochs(ToyEngine(), 4, checkpoints=store, fingerprint="f", on_epoch_end=kill_after(2))
    resumed = ToyEngine()
    histories, first = run_epochs(resumed, 4, checkpoints=store, fingerprint="f")

    assert first == 3 and resumed.epochs_run == [3, 4]
    for g in range(2):
        torch.testing.assert_close(resumed.w[g], whole.w[g], rtol=0, atol=0)
    assert _without_seconds(histories) == _without_seconds(expected)


def test_a_finished_checkpoint_trains_nothing_and_other_settings_start_over(tmp_path):
    store = CheckpointStore(tmp_path / "checkpoint.pt")
    done = ToyEngine()
    histories, _ = run_epochs(done, 3, checkpoints=store, fingerprint="f")

    again = ToyEngine()
    reused, first = run_epochs(again, 3, checkpoints=store, fingerprint="f")
    assert first == 4 and again.epochs_run == [] and reused == histories
    torch.testing.assert_close(again.w[1], done.w[1], rtol=0, atol=0)

    other = ToyEngine()
    _, first = run_epochs(other, 3, checkpoints=store, fingerprint="other data")
    assert first == 1 and other.epochs_run == [1, 2, 3]


def test_checkpoints_are_written_every_k_epochs_and_at_the_last(tmp_path):
    saved = []

    class Spy(CheckpointStore):
        def save(self, state):
            saved.append(state["epoch"])
            super().save(state)

    run_epochs(ToyEngine(), 7, checkpoints=Spy(tmp_path / "c.pt"), checkpoint_every=3)
    assert saved == [3, 6, 7]


@pytest.mark.parametrize("eval_every,epochs,due", [(2, 5, [2, 4, 5]), (3, 6, [3, 6]), (1, 3, [1, 2, 3]),
                                                   (None, 4, []), (0, 4, [])])
def test_evaluation_is_due_every_k_epochs_and_at_the_last(eval_every, epochs, due):
    assert [e for e in range(1, epochs + 1) if evaluation_due(eval_every, e, epochs)] == due


def test_each_model_is_scored_by_its_own_evaluator_on_its_own_weights():
    calls = []

    def score(weights):
        calls.append(weights["w"].clone())
        return {"test_median_RMSE": torch.tensor(float(weights["w"].sum()))}

    engine = ToyEngine()
    histories, _ = run_epochs(engine, 3, eval_every=2, evaluators=[None, score])
    assert ["test_median_RMSE" in row for row in histories[0]] == [False, False, False]
    assert ["test_median_RMSE" in row for row in histories[1]] == [False, True, True]
    last = histories[1][-1]
    assert isinstance(last["test_median_RMSE"], float) and last["test_median_RMSE"] == pytest.approx(last["loss"])
    assert len(calls) == 2


def test_an_evaluation_does_not_move_the_training_random_stream():
    torch.manual_seed(11)
    expected = torch.rand(3)
    torch.manual_seed(11)
    scores = run_evaluation(lambda state: {"draw": torch.rand(1).sum() + state["w"].sum()}, {"w": torch.ones(2)})
    assert torch.equal(torch.rand(3), expected)
    assert isinstance(scores["draw"], float) and 2.0 <= scores["draw"] < 3.0


def test_on_epoch_end_follows_each_epochs_checkpoint(tmp_path):
    store = CheckpointStore(tmp_path / "c.pt")
    seen = []
    run_epochs(ToyEngine(), 3, checkpoints=store, fingerprint="f",
               on_epoch_end=lambda epoch: seen.append((epoch, store.load("f")["epoch"])))
    assert seen == [(1, 1), (2, 2), (3, 3)]
