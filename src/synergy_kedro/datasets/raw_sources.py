"""Read-only Kedro datasets for real data in its published on-disk layouts.

Each wraps one reader of :mod:`synergy_kedro.sources`, so paths and format options live in the
catalog of an environment (``conf/caravan``, ``conf/camels_us``, ``conf/smap_hydrodl``) and the
ingestion nodes stay pure. Loading returns the canonical (site, time) Dataset (or, for GAGES-II
and the ecoregion polygons, a table); saving is refused: raw data is never overwritten.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from kedro.io import AbstractDataset, DatasetError


class _RawDataset(AbstractDataset):
    reader: Any = None

    def __init__(self, path: str, load_args: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None):
        self._path = PurePosixPath(path)
        self._load_args = load_args or {}
        self.metadata = metadata

    def load(self):
        return type(self).reader(self._path, **self._load_args)

    def save(self, data) -> None:
        raise DatasetError(f"{type(self).__name__} at {self._path} is raw input and read-only.")

    def _exists(self) -> bool:
        from pathlib import Path

        return Path(self._path).exists()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._path), "load_args": self._load_args}


def _caravan(path, **kwargs):
    from synergy_kedro.sources.caravan import read_caravan

    return read_caravan(path, **kwargs)


def _camels_us(path, **kwargs):
    from synergy_kedro.sources.camels_us import read_camels_us

    return read_camels_us(path, **kwargs)


def _gages2(path, **kwargs):
    from synergy_kedro.sources.gages2 import read_gages2

    return read_gages2(path, **kwargs)


def _polygons(path, **kwargs):
    from synergy_kedro.membership import read_ecoregion_polygons

    return read_ecoregion_polygons(path, **kwargs)


def _smap_csv(path, **kwargs):
    from synergy_kedro.sources.smap_csv import read_smap_csv

    return read_smap_csv(path, **kwargs)


class CaravanDataset(_RawDataset):
    """Caravan (``timeseries/csv/<source>/``, ``attributes/<source>/``) → canonical Dataset."""

    reader = staticmethod(_caravan)


class CamelsUSDataset(_RawDataset):
    """CAMELS-US (``basin_mean_forcing/``, ``usgs_streamflow/``, ``camels_attributes_v2.0/``) → canonical Dataset."""

    reader = staticmethod(_camels_us)


class Gages2Dataset(_RawDataset):
    """GAGES-II conterminous tables joined on STAID → DataFrame."""

    reader = staticmethod(_gages2)


class EcoregionPolygonsDataset(_RawDataset):
    """EPA level-III polygons (shapefile, GeoPackage or GeoJSON with NA_L*CODE fields) → GeoDataFrame."""

    reader = staticmethod(_polygons)


class SmapCsvDataset(_RawDataset):
    """The hydroDL csv database of SMAP + NLDAS-2 (``CONUSv4f1/<year>/<VAR>.csv``) → canonical Dataset."""

    reader = staticmethod(_smap_csv)
