"""GAGES-II basin tables (Falcone 2011), joined to canonical Datasets by USGS id.

The conterminous tables ``gagesII_sept30_2011_conterm_<table>.csv`` are keyed by ``STAID``, the
USGS station id: a string of at least 8 digits whose leading zeros matter (``01013500``), so it
is read as text and zero-padded to 8 characters (spreadsheet exports often drop the zero). ``HUC02``
is text too (``"01"``, ``"10L"``). Some tables are not UTF-8 (free-text remarks written on a Mac);
undecodable bytes in those remarks are replaced, ids and classes are plain ASCII. Trailing empty
rows (no STAID) are dropped.

Useful stratification columns: ``AGGECOREGION`` (9 aggregated EPA ecoregions) and ``CLASS``
(Ref / Non-ref) in ``Bas_Classif``; ``HUC02`` (18 hydrologic regions, 10 split into 10U/10L) and
``DRAIN_SQKM`` [km²] in ``BasinID``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.sources.errors import SourceDataError, require_dir, require_unique_ids

TABLE_PREFIX = "gagesII_sept30_2011_conterm_"
DEFAULT_TABLES = ("BasinID", "Bas_Classif")
#: Columns kept as text even where every value looks like a number.
TEXT_COLUMNS = ("STAID", "HUC02", "FIPS_SITE", "NAWQA_SUID")
#: Units of the GAGES-II numeric columns this project uses; others are marked unknown.
UNITS = {
    "DRAIN_SQKM": ("km2", "drainage area (GAGES-II)"),
    "LAT_GAGE": ("degrees_north", "gauge latitude (GAGES-II)"),
    "LNG_GAGE": ("degrees_east", "gauge longitude (GAGES-II)"),
    "HYDRO_DISTURB_INDX": ("-", "hydrologic disturbance index (GAGES-II)"),
}
DEFAULT_COLUMNS = ("AGGECOREGION", "HUC02", "CLASS", "DRAIN_SQKM")


def read_gages2(root: Path, tables: Sequence[str] = DEFAULT_TABLES) -> pd.DataFrame:
    """GAGES-II tables joined on ``STAID`` (index, 8-char str).

    ``tables`` are short names (``BasinID`` → ``gagesII_sept30_2011_conterm_BasinID.csv``) or file
    names in ``root``. A column present in several tables (e.g. ``STANAME``) is kept from the first.
    """
    root = require_dir(Path(root), "GAGES-II", "Point root at the folder holding the gagesII_sept30_2011_conterm_*.csv tables.")
    frames = [read_gages2_table(_table_path(root, t)) for t in tables]
    joined = pd.concat(frames, axis=1, join="outer")
    return joined.loc[:, ~joined.columns.duplicated()]


def read_gages2_table(path: Path) -> pd.DataFrame:
    """One GAGES-II table indexed by zero-padded ``STAID``."""
    table = pd.read_csv(path, dtype={c: str for c in TEXT_COLUMNS}, encoding_errors="replace", low_memory=False)
    if "STAID" not in table.columns:
        raise SourceDataError(f"{path} has no STAID column (columns: {list(table.columns)[:10]} …); is it a GAGES-II table?")
    table = table.dropna(subset=["STAID"])
    table["STAID"] = table["STAID"].str.strip().str.zfill(8)
    require_unique_ids(table["STAID"], path, "STAID")
    return table.set_index("STAID")


def attach_gages2(ds: xr.Dataset, table: pd.DataFrame, columns: Sequence[str] = DEFAULT_COLUMNS) -> xr.Dataset:
    """``ds`` with chosen GAGES-II columns per site: numeric ones as float32 (site) variables,
    text ones (``AGGECOREGION``, ``HUC02``, ``CLASS``) as str (site) coordinates.

    Sites are matched by their id (the 8-digit USGS id); every site must be in the table.
    """
    missing_cols = [c for c in columns if c not in table.columns]
    if missing_cols:
        raise SourceDataError(
            f"GAGES-II columns {missing_cols} are not in the tables read (columns: {list(table.columns)}); "
            "read the table that holds them with read_gages2(root, tables=...)."
        )
    sites = [str(s).zfill(8) for s in ds["site"].values]
    absent = [s for s in sites if s not in table.index]
    if absent:
        raise SourceDataError(
            f"{len(absent)} site(s) are not in GAGES-II: {absent[:30]}{' …' if len(absent) > 30 else ''}. "
            "Site ids must be 8-digit USGS ids; drop these sites or use another region scheme."
        )
    rows = table.loc[sites]
    out = ds.copy()
    for col in columns:
        values = rows[col]
        if pd.api.types.is_numeric_dtype(values):
            units, long_name = UNITS.get(col, ("unknown", f"{col} (GAGES-II)"))
            out[col] = ("site", values.to_numpy(np.float32), {"units": units, "long_name": long_name})
        else:
            text = values.fillna("").astype(str).str.strip().to_numpy(dtype=object)
            out = out.assign_coords({col: ("site", text, {"long_name": f"{col} (GAGES-II)"})})
    return out


def _table_path(root: Path, table: str) -> Path:
    """Path of a table given by short name or file name, with a clear error if absent."""
    path = root / (table if table.endswith(".csv") else f"{TABLE_PREFIX}{table}.csv")
    if not path.is_file():
        have = sorted(p.name for p in root.glob("*.csv"))
        raise SourceDataError(f"GAGES-II table {path} does not exist. Tables in {root}: {have}.")
    return path
