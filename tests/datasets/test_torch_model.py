"""A trained model is a plain PyTorch file, weights on the CPU, with the config needed to rebuild it."""

from __future__ import annotations

import pytest
import torch
from kedro.io import DataCatalog, DatasetError

from synergy_kedro.datasets.torch_model import TorchModelDataset
from synergy_kedro.model.lstm import HydroLSTM


def test_a_saved_model_rebuilds_the_same_network_from_the_file_alone(tmp_path):
    torch.manual_seed(0)
    model = HydroLSTM(4, 8)
    config = {"inputs": ["prcp", "tmean", "area", "slope"], "hidden_size": 8, "normalisation": {"prcp": [1.0, 2.0]}}
    path = tmp_path / "06_models" / "global" / "model.pt"
    catalog = DataCatalog.from_config({"global.model": {"type": "synergy_kedro.datasets.TorchModelDataset",
                                                        "filepath": str(path)}})
    catalog.save("global.model", {"state_dict": model.state_dict(), "config": config})

    record = torch.load(path, weights_only=False)  # readable by torch itself, no project code needed
    assert record["config"] == config
    loaded = catalog.load("global.model")
    rebuilt = HydroLSTM(len(loaded["config"]["inputs"]), loaded["config"]["hidden_size"]).eval()
    rebuilt.load_state_dict(loaded["state_dict"])
    x = torch.randn(3, 5, 4)
    torch.testing.assert_close(rebuilt(x), model.eval()(x), rtol=0, atol=0)
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]  # no part file left


def test_weights_are_saved_detached_from_the_graph(tmp_path):
    weight = torch.ones(3, requires_grad=True) * 2  # a non-leaf tensor, as after training arithmetic
    dataset = TorchModelDataset(str(tmp_path / "model.pt"))
    dataset.save({"state_dict": {"w": weight}, "config": {}})
    loaded = dataset.load()["state_dict"]["w"]
    assert not loaded.requires_grad and loaded.grad_fn is None and torch.equal(loaded, torch.full((3,), 2.0))


def test_a_record_without_weights_is_saved_as_given(tmp_path):
    dataset = TorchModelDataset(str(tmp_path / "model.pt"))
    dataset.save({"skipped": "fewer than min_sites sites"})
    assert dataset.load() == {"skipped": "fewer than min_sites sites"}


def test_a_missing_model_says_to_train_it_first(tmp_path):
    dataset = TorchModelDataset(str(tmp_path / "model.pt"))
    assert not dataset.exists()
    with pytest.raises(DatasetError, match=rf"Model file {tmp_path / 'model.pt'} does not exist: train the model first"):
        dataset.load()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_a_model_trained_on_cuda_is_saved_on_the_cpu(tmp_path):
    dataset = TorchModelDataset(str(tmp_path / "model.pt"))
    dataset.save({"state_dict": {"w": torch.ones(3, device="cuda")}})
    record = torch.load(tmp_path / "model.pt", weights_only=False)  # without map_location
    assert record["state_dict"]["w"].device.type == "cpu"
