"""A trained model as a real PyTorch file: ``{"state_dict": ..., "config": ...}``.

The config (input names, sizes, normalisation keys) travels with the weights so the file alone
is enough to rebuild the network; weights are saved on CPU so a model trained on CUDA loads on a
laptop. Written atomically, like every file this project produces.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import torch
from kedro.io import AbstractDataset, DatasetError

from synergy_kedro.core.atomic import write_atomically


class TorchModelDataset(AbstractDataset[dict, dict]):
    def __init__(self, filepath: str, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = PurePosixPath(filepath)
        self.metadata = metadata

    def load(self) -> dict:
        path = Path(self._filepath)
        if not path.exists():
            raise DatasetError(f"Model file {path} does not exist: train the model first.")
        return torch.load(path, map_location="cpu", weights_only=False)

    def save(self, data: dict) -> None:
        path = Path(self._filepath)
        state = data.get("state_dict")
        if state is not None:
            data = {**data, "state_dict": {k: v.detach().cpu() for k, v in state.items()}}
        write_atomically(path, lambda tmp: torch.save(data, tmp))

    def _exists(self) -> bool:
        return Path(self._filepath).exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
