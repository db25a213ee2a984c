"""Caravan (Kratzert et al. 2023) in its published layout.

Layout under ``root`` (the ``Caravan`` folder)::

    timeseries/csv/<source>/<gauge_id>.csv        column ``date`` plus one column per variable
    timeseries/netcdf/<source>/<gauge_id>.nc      the same as netCDF (dimension ``date``)
    attributes/<source>/attributes_*.csv          keyed by ``gauge_id``

Conventions handled here: variables are selected **by name** (real files carry ~40 ERA5-Land
columns in no guaranteed order); an empty cell is missing (NaN, never filled); ``gauge_id`` is
``<source>_<id>``. For ``source="camels"`` the site id is the 8-digit USGS id (prefix stripped) so
it joins with GAGES-II; the original id stays in the ``gauge_id`` coordinate.

Canonical names: ``prcp`` [mm/d] (total_precipitation_sum), ``tmean``/``tmin``/``tmax`` [degC]
(temperature_2m_*), ``pet`` [mm/d] (potential_evaporation_sum), target ``streamflow`` [mm/d];
other variables keep their Caravan names. Statics keep their Caravan names except
``elev_mean``→``elevation``, ``slope_mean``→``slope``, ``frac_forest``→``forest_frac``; ``area``
[km²], ``gauge_lat``/``gauge_lon`` come from ``attributes_other_<source>.csv``.

CSV files are parsed with pyarrow in a thread pool (pyarrow releases the GIL), which reads the
482 CAMELS basins in under a second on two cores; netCDF files are read one by one (the netCDF
library is not thread-safe).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import xarray as xr

from synergy_kedro.core.progress import progress
from synergy_kedro.sources.assemble import (
    ATTRIBUTE_ATTRS,
    NameSelection,
    canonical_dataset,
    daily_axis,
    numeric_attributes,
    place_on_axis,
    resolve_names,
)
from synergy_kedro.sources.errors import SourceDataError, require_columns, require_dir, require_ids, require_unique_ids

#: Caravan variable → canonical name.
VARIABLE_NAMES: dict[str, str] = {
    "total_precipitation_sum": "prcp",
    "temperature_2m_mean": "tmean",
    "temperature_2m_min": "tmin",
    "temperature_2m_max": "tmax",
    "potential_evaporation_sum": "pet",
    "streamflow": "streamflow",
}
#: Caravan attribute → canonical name where the project has one with the same units.
ATTRIBUTE_NAMES = {"elev_mean": "elevation", "slope_mean": "slope", "frac_forest": "forest_frac"}
DEFAULT_DYNAMIC = ("total_precipitation_sum", "temperature_2m_mean", "potential_evaporation_sum")
DEFAULT_STATIC = ("area", "p_mean", "pet_mean", "aridity", "frac_snow")


def _variable_attrs() -> dict[str, tuple[str, str]]:
    """Units of Caravan's ERA5-Land variables (Kratzert et al. 2023, Table 2), by Caravan name."""
    out = {
        "total_precipitation_sum": ("mm/d", "daily precipitation (ERA5-Land)"),
        "potential_evaporation_sum": ("mm/d", "potential evaporation (ERA5-Land)"),
        "evaporation_sum": ("mm/d", "actual evaporation (ERA5-Land)"),
        "streamflow": ("mm/d", "observed streamflow per unit catchment area"),
    }
    for stat in ("mean", "min", "max"):
        out[f"temperature_2m_{stat}"] = ("degC", f"daily {stat} air temperature at 2 m (ERA5-Land)")
        out[f"dewpoint_temperature_2m_{stat}"] = ("degC", f"daily {stat} dew point at 2 m (ERA5-Land)")
        out[f"surface_net_solar_radiation_{stat}"] = ("W m-2", f"daily {stat} net shortwave radiation (ERA5-Land)")
        out[f"surface_net_thermal_radiation_{stat}"] = ("W m-2", f"daily {stat} net longwave radiation (ERA5-Land)")
        out[f"surface_pressure_{stat}"] = ("kPa", f"daily {stat} surface pressure (ERA5-Land)")
        out[f"snow_depth_water_equivalent_{stat}"] = ("mm", f"daily {stat} snow water equivalent (ERA5-Land)")
        out[f"u_component_of_wind_10m_{stat}"] = ("m/s", f"daily {stat} eastward wind at 10 m (ERA5-Land)")
        out[f"v_component_of_wind_10m_{stat}"] = ("m/s", f"daily {stat} northward wind at 10 m (ERA5-Land)")
        for layer in (1, 2, 3, 4):
            out[f"volumetric_soil_water_layer_{layer}_{stat}"] = ("m3 m-3", f"daily {stat} soil water, layer {layer} (ERA5-Land)")
    return out


VARIABLE_ATTRS = _variable_attrs()


def read_caravan(
    root: Path,
    source: str = "camels",
    basins: Sequence[str] | None = None,
    dynamic: NameSelection = DEFAULT_DYNAMIC,
    static: NameSelection = DEFAULT_STATIC,
    target: str = "streamflow",
    start: str | None = None,
    end: str | None = None,
    fmt: Literal["csv", "netcdf"] = "csv",
    strip_prefix: bool | None = None,
    workers: int | None = None,
) -> xr.Dataset:
    """Canonical Dataset of one Caravan source.

    ``basins`` may be given with or without the ``<source>_`` prefix (None: every file of the
    source). ``dynamic`` and ``static`` select by Caravan name, canonical name, or a
    ``{Caravan: canonical}`` mapping; ``target`` is a Caravan variable (canonical name from
    :data:`VARIABLE_NAMES`). ``strip_prefix`` (default: only for ``camels``) makes site ids
    without the ``<source>_`` prefix. The time axis is ``start``..``end`` or the span of the files.
    """
    root = caravan_root(root)
    files = timeseries_index(root, source, fmt)
    gauge_ids = sorted(files) if basins is None else [_gauge_id(b, source) for b in basins]
    require_ids(files, gauge_ids, root / "timeseries" / fmt / source, "time-series file for gauge")
    names = resolve_names(dynamic, VARIABLE_NAMES)
    target_name = VARIABLE_NAMES.get(target, target)
    columns = [*names, target]
    if target in names:
        raise SourceDataError(f"Caravan target {target!r} is also listed among the dynamic inputs {list(names)}.")

    series = _read_all([files[g] for g in gauge_ids], columns, fmt, workers)
    time = daily_axis([dates for dates, _ in series], start, end)
    values = np.stack([place_on_axis(d, v, time, str(files[g])) for g, (d, v) in zip(gauge_ids, series, strict=False)])
    dyn = {canon: values[:, :, i] for i, canon in enumerate([*names.values(), target_name])}
    var_attrs = {canon: VARIABLE_ATTRS.get(src, ("unknown", src)) for src, canon in [*names.items(), (target, target_name)]}

    attributes = read_caravan_attributes(root, source)
    where = str(root / "attributes" / source)
    require_ids(attributes.index, gauge_ids, where, "attributes for gauge")
    require_columns(attributes.columns, ["gauge_lat", "gauge_lon"], where)
    table = attributes.loc[gauge_ids]
    statics = numeric_attributes(table, resolve_names(static, ATTRIBUTE_NAMES), where)

    strip = (source == "camels") if strip_prefix is None else strip_prefix
    sites = [g.removeprefix(f"{source}_") if strip else g for g in gauge_ids]
    return canonical_dataset(
        sites, time, dyn, statics, table["gauge_lat"].to_numpy(), table["gauge_lon"].to_numpy(),
        var_attrs | {k: v for k, v in ATTRIBUTE_ATTRS.items() if k not in var_attrs},
        targets=[target_name], extra_coords={"gauge_id": np.asarray(gauge_ids, dtype=object)},
        attrs={"source": f"caravan/{source}", "format": fmt, "root": str(root)},
        source=f"Caravan {source} ({root})",
    )


def caravan_root(root: Path) -> Path:
    """The folder holding ``timeseries/`` and ``attributes/``: ``root`` itself or its ``Caravan``/``caravan`` child."""
    root = Path(root)
    for candidate in (root, root / "Caravan", root / "caravan"):
        if (candidate / "timeseries").is_dir():
            return candidate
    raise SourceDataError(
        f"{root} is not a Caravan folder: no timeseries/ in it (or in its Caravan/ child). Unpack the archive and point root at it."
    )


def timeseries_index(root: Path, source: str, fmt: str = "csv") -> dict[str, Path]:
    """gauge_id → time-series file of one source, in ``csv`` or ``netcdf`` format."""
    base = require_dir(root / "timeseries" / fmt, f"Caravan {fmt} time-series", "Use fmt='csv' or 'netcdf' to match the files present.")
    folder = base / source
    if not folder.is_dir():
        have = sorted(p.name for p in base.iterdir() if p.is_dir())
        raise SourceDataError(f"Caravan source {source!r} not found: {folder} does not exist. Available sources: {have}.")
    suffix = ".csv" if fmt == "csv" else ".nc"
    return {p.stem: p for p in sorted(folder.glob(f"*{suffix}"))}


def read_caravan_attributes(root: Path, source: str) -> pd.DataFrame:
    """All ``attributes_*.csv`` of a source joined on ``gauge_id`` (index).

    ``attributes_other_*`` (coordinates, area) comes first; where two tables share a column the
    first one read keeps it.
    """
    folder = require_dir(Path(root) / "attributes" / source, f"Caravan attributes of {source!r}")
    paths = sorted(folder.glob("attributes_*.csv"), key=lambda p: (not p.name.startswith("attributes_other"), p.name))
    if not paths:
        raise SourceDataError(f"{folder} holds no attributes_*.csv files.")
    tables = []
    for path in paths:
        try:
            table = pd.read_csv(path, dtype={"gauge_id": str})
        except UnicodeDecodeError as err:
            raise not_utf8(path) from err
        require_columns(table.columns, ["gauge_id"], path)
        require_unique_ids(table["gauge_id"], path)
        tables.append(table.set_index("gauge_id"))
    joined = pd.concat(tables, axis=1)
    return joined.loc[:, ~joined.columns.duplicated()]


def read_timeseries_csv(path: Path, columns: Sequence[str]) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """(dates, float32 (day, column) array) of the named columns of one CSV; empty cells → NaN."""
    convert = pacsv.ConvertOptions(include_columns=["date", *columns], column_types={c: pa.float64() for c in columns})
    try:
        table = pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=False), convert_options=convert)
    except KeyError:
        require_columns(_csv_header(path), ["date", *columns], path)
        raise
    except pa.ArrowInvalid as err:
        if not _is_utf8(path):
            raise not_utf8(path) from err
        raise SourceDataError(f"{path} could not be parsed as numbers in columns {list(columns)}: {err}") from err
    if pa.types.is_binary(table["date"].type):  # pyarrow's type for text that is not UTF-8
        raise not_utf8(path)
    values = np.column_stack([table[c].to_numpy() for c in columns]).astype(np.float32)
    return _dates(table["date"].to_numpy(zero_copy_only=False), path), values


def read_timeseries_netcdf(path: Path, columns: Sequence[str]) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """(dates, float32 (day, variable) array) of the named variables of one netCDF file."""
    with xr.open_dataset(path) as ds:
        require_columns(list(ds.data_vars), list(columns), path)
        if "date" not in ds.dims:
            raise SourceDataError(f"{path} has dims {tuple(ds.dims)}; Caravan netCDF files have a 'date' dimension.")
        values = np.column_stack([ds[c].transpose("date").to_numpy() for c in columns]).astype(np.float32)
        return _dates(ds["date"].to_numpy(), path), values


def _read_all(paths: Sequence[Path], columns: Sequence[str], fmt: str, workers: int | None) -> list[tuple[pd.DatetimeIndex, np.ndarray]]:
    """Every file's (dates, values), CSVs in a thread pool."""
    if fmt == "netcdf":
        return [read_timeseries_netcdf(p, columns) for p in progress(paths, desc="read Caravan", unit="basin")]
    if fmt != "csv":
        raise SourceDataError(f"Unknown Caravan time-series format {fmt!r}: use 'csv' or 'netcdf'.")
    with ThreadPoolExecutor(max_workers=workers or min(16, (os.cpu_count() or 1) * 2)) as pool:
        read = pool.map(lambda p: read_timeseries_csv(p, columns), paths)
        return list(progress(read, desc="read Caravan", unit="basin", total=len(paths)))


def _dates(values: np.ndarray, path: Path) -> pd.DatetimeIndex:
    """Daily dates of a file: ISO dates or timestamps (``1981-01-01``, as Caravan writes them), nothing else.

    Only ISO: a day-first ``01/02/1981`` is not guessed (month first or day first?), it is refused.
    """
    try:
        iso = None if np.issubdtype(np.asarray(values).dtype, np.datetime64) else "ISO8601"
        return pd.DatetimeIndex(pd.to_datetime(values, format=iso)).normalize()
    except (ValueError, TypeError) as err:
        row, value = _first_non_iso(values)
        raise SourceDataError(
            f"{path}: column 'date' must hold ISO dates YYYY-MM-DD (as Caravan writes them: 1981-01-01), but line "
            f"{row + 2} has {value!r}. Write the dates as YYYY-MM-DD (a spreadsheet may have turned them into "
            "day-first DD/MM/YYYY) or use the published Caravan file.") from err


def _first_non_iso(values: np.ndarray) -> tuple[int, str]:
    """(row, text) of the first value that is not an ISO date (row 0 is the line after the header)."""
    for row, value in enumerate(values):
        try:
            pd.to_datetime(value, format="ISO8601")
        except (ValueError, TypeError):
            return row, str(value)
    return 0, str(values[0]) if len(values) else ""


def _is_utf8(path: Path) -> bool:
    try:
        Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def not_utf8(path: Path) -> SourceDataError:
    """The error for a CSV that is not UTF-8 text: the file, the line of its first bad byte, and what to do."""
    data = Path(path).read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        where = f"line {line} has byte 0x{data[err.start]:02x}, which"
    else:
        where = "it holds a byte that"
    return SourceDataError(
        f"{path}: {where} is not UTF-8 text (the file was saved in another encoding, e.g. Latin-1 or Windows-1252 "
        "by a spreadsheet). Save it as UTF-8 (CSV UTF-8) and run again.")


def _csv_header(path: Path) -> list[str]:
    """Column names on the first line of a CSV file."""
    with open(path, encoding="utf-8", errors="replace") as f:
        return [c.strip() for c in f.readline().rstrip("\n").split(",")]


def _gauge_id(basin: str, source: str) -> str:
    """``camels_01022500`` from ``01022500`` or ``camels_01022500``."""
    basin = str(basin)
    return basin if basin.startswith(f"{source}_") else f"{source}_{basin}"
