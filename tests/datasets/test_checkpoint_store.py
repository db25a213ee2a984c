"""The catalog hands the training node a checkpoint store for its own file; a node cannot save one."""

from __future__ import annotations

import pytest
from kedro.io import DataCatalog, DatasetError

from synergy_kedro.datasets.checkpoint_store import CheckpointStoreDataset
from synergy_kedro.model.checkpoints import CheckpointStore


def test_the_catalog_entry_loads_a_store_of_its_file(tmp_path):
    path = tmp_path / "06_models" / "local_A" / "checkpoint.pt"
    catalog = DataCatalog.from_config({"local_A.checkpoint": {"type": "synergy_kedro.datasets.CheckpointStoreDataset",
                                                               "filepath": str(path)}})
    store = catalog.load("local_A.checkpoint")
    assert isinstance(store, CheckpointStore) and store.path == path
    store.save({"fingerprint": "f", "epoch": 2})
    assert path.is_file()
    assert CheckpointStoreDataset(str(path)).load().load("f")["epoch"] == 2  # a new load sees what the loop wrote


def test_the_store_exists_before_any_checkpoint_is_written(tmp_path):
    """Kedro must not refuse a first run because the checkpoint file is not there yet."""
    dataset = CheckpointStoreDataset(str(tmp_path / "checkpoint.pt"))
    assert dataset.exists() and not (tmp_path / "checkpoint.pt").exists()
    assert dataset._describe() == {"filepath": str(tmp_path / "checkpoint.pt")}


def test_a_node_cannot_save_a_checkpoint_as_its_output(tmp_path):
    with pytest.raises(DatasetError, match="written by the training loop itself"):
        CheckpointStoreDataset(str(tmp_path / "checkpoint.pt")).save({"fingerprint": "f", "epoch": 1})
    assert list(tmp_path.iterdir()) == []
