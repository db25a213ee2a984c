"""A user's table (csv or parquet) read by kedro-datasets' pandas datasets, its path kept for messages.

The table source (:mod:`synergy_kedro.sources.table`) names the file and line of every fault it
finds; a plain ``pandas.CSVDataset`` hands a node the frame without its path. This wrapper loads
with kedro-datasets' own ``CSVDataset``/``ParquetDataset`` (their ``load_args``, their filesystems)
and records the path in ``DataFrame.attrs["filepath"]``. Dates are read as text, so the node
can refuse anything but ISO dates instead of pandas guessing day or month first.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError
from kedro_datasets.pandas import CSVDataset, ParquetDataset

FORMATS = {"csv": CSVDataset, "parquet": ParquetDataset}


class SourceTableDataset(AbstractDataset):
    """``filepath`` read as ``format`` (csv or parquet); read-only, like every raw input."""

    def __init__(self, filepath: str, format: str = "csv", load_args: dict[str, Any] | None = None,
                 metadata: dict[str, Any] | None = None) -> None:
        if format not in FORMATS:
            raise DatasetError(f"SourceTableDataset {filepath}: format {format!r} is not one of {sorted(FORMATS)}.")
        args = dict(load_args or {})
        if format == "csv":
            args.setdefault("dtype", {"site": str, "date": str})
            args.setdefault("keep_default_na", False)  # an empty cell is missing, a site named "NA" is a site
            args.setdefault("na_values", [""])
        self._filepath, self._format = filepath, format
        self._inner = FORMATS[format](filepath=filepath, load_args=args)
        self.metadata = metadata

    def load(self) -> pd.DataFrame:
        table = self._inner.load()
        table.attrs["filepath"] = self._filepath
        return table

    def save(self, data: pd.DataFrame) -> None:
        raise DatasetError(f"{self._filepath} is raw input and read-only.")

    def _exists(self) -> bool:
        return self._inner.exists()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._filepath, "format": self._format}
