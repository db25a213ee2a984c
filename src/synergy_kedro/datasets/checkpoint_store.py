"""A model's training checkpoint location, handed to the training node as a store object.

Checkpoints are written *during* a node (every N epochs), which Kedro's save-after-return cannot
do; loading this dataset gives the node a :class:`CheckpointStore` for its own file, so the path
still lives in the catalog and the lineage shows where a model's checkpoint goes.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from synergy_kedro.model.checkpoints import CheckpointStore


class CheckpointStoreDataset(AbstractDataset[None, CheckpointStore]):
    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = PurePosixPath(filepath)
        self.metadata = metadata

    def load(self) -> CheckpointStore:
        return CheckpointStore(str(self._filepath))

    def save(self, data: None) -> None:
        raise DatasetError("Checkpoints are written by the training loop itself, not saved as a node output.")

    def _exists(self) -> bool:
        return True

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
