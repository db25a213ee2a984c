"""Read-only Kedro datasets for real data in its published on-disk layouts.

Each wraps one reader of :mod:`synergy_kedro.sources`, so paths and format options live in the
catalog of an environment (``conf/caravan``, ``conf/camels_us``, ``conf/smap_hydrodl``, ``conf/smap``)
and the ingestion nodes stay pure. Loading returns the canonical (site, time) Dataset (or, for
GAGES-II and the ecoregion polygons, a table; for NLDAS-2 forcing and gridded static layers a
lazily opened, dask-backed Dataset that the ingestion node aggregates to the pixels it chose);
saving is refused: raw data is never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from kedro.io import AbstractDataset, DatasetError

log = logging.getLogger(__name__)


#: The simplified EPA level-III layer shipped for maps (scripts/simplify_ecoregions.py).
PACKAGED_POLYGONS = "epa_level3_simplified.geojson"


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
    from synergy_kedro.regions.membership import read_ecoregion_polygons

    return read_ecoregion_polygons(path, **kwargs)


def _smap_csv(path, **kwargs):
    from synergy_kedro.sources.smap_csv import read_smap_csv

    return read_smap_csv(path, **kwargs)


def _smap_l3(path, **kwargs):
    from synergy_kedro.sources.smap_l3 import read_smap_l3

    for key in ("bbox", "grid_shape"):  # YAML gives lists
        if kwargs.get(key) is not None:
            kwargs[key] = tuple(kwargs[key])
    if kwargs.get("pixels") is not None:
        kwargs["pixels"] = [tuple(p) for p in kwargs["pixels"]]
    return read_smap_l3(Path(path), **kwargs)


def _nldas(path, *, suffixes: Sequence[str] = (".nc", ".nc4"), variables: Sequence[str] | None = None,
           chunks: dict[str, int] | None = None, parallel: bool = False):
    """NLDAS-2 netCDF files anywhere under ``path`` (sorted), opened lazily as one dask-backed Dataset.

    ``variables`` keeps only those (plus coordinates) while opening, which saves work with the
    GES DISC netCDF-4 files' extra fields; ``chunks`` are dask chunks (default 96 time steps).
    """
    import xarray as xr

    from synergy_kedro.sources.nldas import NldasError

    root = Path(path)
    if not root.is_dir():
        raise NldasError(f"{root} is not a folder of NLDAS-2 netCDF files.")
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in tuple(suffixes))
    if not files:
        raise NldasError(f"No NLDAS-2 netCDF files ({', '.join(suffixes)}) under {root}.")
    keep = list(variables) if variables else None

    def preprocess(ds):
        return ds[keep] if keep else ds

    try:
        ds = xr.open_mfdataset(files, combine="by_coords", data_vars="minimal", coords="minimal", compat="override",
                               preprocess=preprocess, parallel=parallel, chunks={})
    except (OSError, ValueError, KeyError) as exc:
        raise NldasError(
            f"Cannot open the NLDAS-2 files under {root} ({len(files)} files, e.g. {files[0].name}): {exc}") from exc
    return ds.chunk(dict(chunks or {"time": 96}))  # one file is often one hour: fewer, larger blocks


def _static_table(path, *, columns: dict[str, str] | Sequence[str] | None = None, id_column: str = "site", **kwargs):
    """``static_from_table`` of the csv; default every numeric column but the id column (text columns,
    e.g. a soil texture name, are left out)."""
    import pandas as pd

    from synergy_kedro.sources.static_layers import StaticLayerError, static_from_table

    if columns is None:
        if not Path(path).is_file():
            raise StaticLayerError(f"{path} does not exist.")
        table = pd.read_csv(path, dtype={id_column: str})
        columns = [c for c in table.select_dtypes("number").columns if c != id_column]
    return static_from_table(Path(path), columns, id_column=id_column, **kwargs)


def _static_grid(path, *, chunks: dict[str, int] | None = None):
    import xarray as xr

    from synergy_kedro.sources.static_layers import StaticLayerError

    if not Path(path).is_file():
        raise StaticLayerError(f"{path} does not exist.")
    try:
        return xr.open_dataset(path, chunks=chunks or {})
    except (OSError, ValueError) as exc:
        raise StaticLayerError(f"{path} cannot be opened as netCDF ({exc}).") from exc


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
    """EPA level-III polygons (shapefile, GeoPackage or GeoJSON with NA_L*CODE fields) → GeoDataFrame.

    ``optional: true`` makes a missing file load the simplified layer shipped with the package
    (``synergy_kedro/data/epa_level3_simplified.geojson``, ~8 km detail, for maps) instead of
    failing: the default environment's maps only draw region outlines with it, so a run must not
    need a download. The real-data environments keep the full layer required (their ingestion
    assigns regions from it).
    """

    reader = staticmethod(_polygons)

    def __init__(self, path: str, load_args: dict[str, Any] | None = None, metadata: dict[str, Any] | None = None,
                 optional: bool = False):
        super().__init__(path, load_args, metadata)
        self._optional = optional
        self._said_missing = False

    def load(self):
        if self._optional and not Path(self._path).exists():
            from importlib import resources

            packaged = resources.files("synergy_kedro.data").joinpath(PACKAGED_POLYGONS)
            if not self._said_missing:  # one line per run, however many nodes read it
                log.info("No EPA ecoregion polygons at %s: maps outline the regions with the simplified layer shipped "
                         "with the package. For full detail put the EPA level-III polygons there (us_eco_l3, "
                         "GeoJSON/shapefile/GeoPackage with NA_L1CODE, NA_L2CODE, NA_L3CODE; docs/real_data.md).",
                         self._path)
                self._said_missing = True
            with resources.as_file(packaged) as path:
                return _polygons(path, **self._load_args)
        return super().load()

    def _describe(self) -> dict[str, Any]:
        return {**super()._describe(), "optional": self._optional}


class SmapCsvDataset(_RawDataset):
    """The hydroDL csv database of SMAP + NLDAS-2 (``CONUSv4f1/<year>/<VAR>.csv``) → canonical Dataset."""

    reader = staticmethod(_smap_csv)


class SmapL3Dataset(_RawDataset):
    """NSIDC SPL3SMP daily granules (``SMAP_L3_SM_P_YYYYMMDD_R<CRID>_<nnn>.h5`` at any depth under
    ``path``) → canonical (site, time) ``soil_moisture`` Dataset; ``load_args`` are those of
    :func:`synergy_kedro.sources.smap_l3.read_smap_l3` (``bbox``, ``pixels``, ``start``, ``end``,
    ``overpass``, ``grid_shape``)."""

    reader = staticmethod(_smap_l3)


class NldasDataset(_RawDataset):
    """NLDAS-2 forcing netCDF files (``*.nc``/``*.nc4`` at any depth under ``path``) → one lazily opened,
    dask-backed Dataset (time, lat, lon); ``load_args``: ``variables``, ``chunks``, ``suffixes``, ``parallel``."""

    reader = staticmethod(_nldas)


class StaticTableDataset(_RawDataset):
    """A per-pixel csv of static attributes → (site) Dataset; ``load_args`` are those of
    :func:`synergy_kedro.sources.static_layers.static_from_table` (``columns`` default: all but ``id_column``)."""

    reader = staticmethod(_static_table)


class StaticGridDataset(_RawDataset):
    """A netCDF of 2-D (lat, lon) static layers, opened lazily; the ingestion node area-averages it to the pixels."""

    reader = staticmethod(_static_grid)
