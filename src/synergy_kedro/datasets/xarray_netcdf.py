"""An xarray Dataset stored as one local netCDF file.

kedro-datasets keeps its NetCDFDataset in the experimental package; this one is small, loads the
file fully into memory (so the file handle is closed before Kedro may overwrite it in a later
node) and writes atomically (a temporary file renamed into place), so an interrupted run never
leaves a truncated netCDF that a later run would trust.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import xarray as xr
from kedro.io import AbstractDataset, DatasetError

from synergy_kedro.core.atomic import write_atomically


class XarrayNetCDFDataset(AbstractDataset[xr.Dataset, xr.Dataset]):
    def __init__(self, filepath: str, load_args: dict[str, Any] | None = None,
                 save_args: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None) -> None:
        self._filepath = PurePosixPath(filepath)
        self._load_args = load_args or {}
        self._save_args = save_args or {}
        self.metadata = metadata

    def load(self) -> xr.Dataset:
        path = Path(self._filepath)
        if not path.exists():
            raise DatasetError(f"netCDF file {path} does not exist: run the node that produces it first.")
        with xr.open_dataset(path, **self._load_args) as ds:
            return ds.load()

    def save(self, data: xr.Dataset) -> None:
        path = Path(self._filepath)
        write_atomically(path, lambda tmp: data.to_netcdf(tmp, **self._save_args))

    def _exists(self) -> bool:
        return Path(self._filepath).exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "load_args": self._load_args, "save_args": self._save_args}

