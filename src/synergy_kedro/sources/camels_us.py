"""CAMELS-US in its published layout (Newman et al. 2015; Addor et al. 2017).

Layout under ``root`` (files are found by basin id at any depth, since the published data keep
them in ``<huc_02>/`` sub-folders while copies are often flat)::

    basin_mean_forcing/<forcing>/**/<id>_lump_*_forcing_leap.txt
    usgs_streamflow/**/<id>_streamflow_qc.txt
    camels_attributes_v2.0/camels_*.txt

*Forcing* files: three header lines (gauge latitude, elevation [m], basin area [m²]), then a
whitespace table ``Year Mnth Day Hr dayl(s) prcp(mm/day) srad(W/m2) swe(mm) tmax(C) tmin(C) vp(Pa)``.
The capitalisation differs between products (Maurer/NLDAS write ``PRCP(mm/day)``, ``Dayl(s)``),
so columns are matched by name, case-insensitively.

*Streamflow* files: ``id year month day Q flag`` with Q in ft³/s; ``-999`` and flag ``M`` mean
missing (both become NaN, never filled). Q is converted to a depth per day with the basin area::

    Q[mm/d] = Q[ft³/s] × 0.0283168 m³/ft³ × 86400 s/d / (area[km²] × 1e6 m²/km²) × 1000 mm/m

where area is CAMELS ``area_gages2`` [km²] from ``camels_topo.txt`` by default.

*Attributes*: ``;``-separated tables keyed by ``gauge_id`` (all 671 basins).

Canonical names: ``prcp`` [mm/d], ``srad`` [W m-2], ``tmax``/``tmin``/``tmean`` [degC], ``vp``
[hPa, converted from Pa to match the project's ``vp``], ``dayl`` [s], ``swe`` [mm], target
``streamflow`` [mm/d]; statics keep CAMELS names except ``elev_mean``→``elevation``,
``slope_mean``→``slope``, ``area_gages2``→``area``, ``frac_forest``→``forest_frac``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
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

log = logging.getLogger(__name__)

#: 1 ft³ in m³ (the factor of the conversion in the module docstring).
CUBIC_FEET_TO_M3 = 0.0283168
MISSING_Q = -999.0
#: USGS daily-value qualifier codes that stand in a value column where no value was published
#: (ice, equipment, backwater, discontinued, flood damage, maintenance, partial record, rating,
#: seasonal, test, zero-flow remark, temporarily unavailable): missing, counted and logged.
USGS_VALUE_CODES = frozenset({"Ice", "Eqp", "Bkw", "Dis", "Fld", "Mnt", "Pr", "Rat", "Ssn", "Tst", "Zfl", "Dry", "***"})

#: Published forcing column (lower case) → canonical name.
FORCING_NAMES: dict[str, str] = {
    "dayl(s)": "dayl",
    "prcp(mm/day)": "prcp",
    "srad(w/m2)": "srad",
    "swe(mm)": "swe",
    "tmax(c)": "tmax",
    "tmin(c)": "tmin",
    "vp(pa)": "vp",
}
#: Published forcing column (lower case) → (scale to canonical units, units, long_name).
FORCING_UNITS: dict[str, tuple[float, str, str]] = {
    "dayl(s)": (1.0, "s", "day length"),
    "prcp(mm/day)": (1.0, "mm/d", "daily precipitation"),
    "srad(w/m2)": (1.0, "W m-2", "daily mean incoming shortwave radiation"),
    "swe(mm)": (1.0, "mm", "snow water equivalent"),
    "tmax(c)": (1.0, "degC", "daily maximum air temperature"),
    "tmin(c)": (1.0, "degC", "daily minimum air temperature"),
    "vp(pa)": (0.01, "hPa", "daily mean water vapour pressure"),
}
#: Canonical names computed from published columns rather than read.
DERIVED = {"tmean": ("tmax(c)", "tmin(c)")}
DEFAULT_DYNAMIC = ("prcp(mm/day)", "srad(W/m2)", "tmax(C)", "tmin(C)", "vp(Pa)", "dayl(s)")
#: CAMELS attribute → canonical name where the project has one with the same units.
ATTRIBUTE_NAMES = {"elev_mean": "elevation", "slope_mean": "slope", "area_gages2": "area", "frac_forest": "forest_frac"}
DEFAULT_STATIC = (
    "p_mean", "pet_mean", "aridity", "frac_snow", "elev_mean", "slope_mean", "area_gages2", "frac_forest",
    "lai_max", "soil_depth_pelletier", "soil_porosity", "max_water_content", "sand_frac", "clay_frac",
)
FORCING_HEADER_AREA = "forcing_header"


def read_camels_us(
    root: Path,
    basins: Sequence[str] | None = None,
    forcing: str = "daymet",
    dynamic: NameSelection = DEFAULT_DYNAMIC,
    static: NameSelection = DEFAULT_STATIC,
    start: str | None = None,
    end: str | None = None,
    area: str = "area_gages2",
) -> xr.Dataset:
    """Canonical Dataset of CAMELS-US basins (site = 8-digit USGS id).

    ``dynamic`` selects forcing columns by published name (any case), by canonical name, or as a
    ``{published: canonical}`` mapping; ``"tmean"`` adds (tmax + tmin) / 2. ``area`` names the
    camels_topo column [km²] used to convert streamflow, or ``"forcing_header"`` for the area on
    line 3 of each forcing file [m²]. The time axis is ``start``..``end`` (inclusive) or the span
    of all files read; days absent from a file are NaN.
    """
    root = require_dir(Path(root), "CAMELS-US root", "Point root at the folder holding basin_mean_forcing/ and usgs_streamflow/.")
    forcing_files = forcing_index(root, forcing)
    flow_files = _index(require_dir(root / "usgs_streamflow", "CAMELS-US streamflow"), "*_streamflow_qc.txt")
    basins = sorted(forcing_files) if basins is None else [str(b).zfill(8) for b in basins]
    require_ids(forcing_files, basins, root / "basin_mean_forcing" / forcing, "forcing file for basin")
    require_ids(flow_files, basins, root / "usgs_streamflow", "streamflow file for basin")
    attributes = read_camels_attributes(root)
    require_ids(attributes.index, basins, attributes.attrs["folder"], "attributes for basin")

    names, derived = _forcing_selection(dynamic)
    columns = list(dict.fromkeys([*(n.lower() for n in names), *(c for d in derived for c in DERIVED[d])]))
    forcings, flows = {}, {}
    for b in progress(basins, desc="read CAMELS-US", unit="basin"):
        forcings[b] = read_forcing_file(_one(forcing_files, b), columns)
        flows[b] = read_streamflow_file(_one(flow_files, b))
    time = daily_axis([f.index for f in forcings.values()] + [q.index for q in flows.values()], start, end)
    areas = _areas(attributes.loc[basins], forcings, area, attributes.attrs["folder"])

    # (site, time, column) arrays on the common axis
    values = np.stack([
        place_on_axis(forcings[b].index, forcings[b].to_numpy(np.float32), time, str(_one(forcing_files, b))) for b in basins
    ])
    q_mm = np.stack([
        place_on_axis(flows[b].index, cfs_to_mm_per_day(flows[b][["q_cfs"]].to_numpy(), areas[b]), time, str(_one(flow_files, b)))
        for b in basins
    ])
    dyn, var_attrs = _forcing_variables(values, columns, names, derived, forcing)
    dyn["streamflow"] = q_mm[:, :, 0]
    var_attrs["streamflow"] = ("mm/d", "observed streamflow per unit catchment area (USGS, CAMELS QC)")

    topo = attributes.loc[basins]
    require_columns(topo.columns, ["gauge_lat", "gauge_lon"], attributes.attrs["folder"] / "camels_topo.txt")
    statics = numeric_attributes(topo, resolve_names(static, ATTRIBUTE_NAMES), str(attributes.attrs["folder"]))
    return canonical_dataset(
        basins, time, dyn, statics, topo["gauge_lat"].to_numpy(), topo["gauge_lon"].to_numpy(),
        var_attrs | {k: v for k, v in ATTRIBUTE_ATTRS.items() if k not in var_attrs},
        targets=["streamflow"],
        attrs={"source": "camels_us", "forcing": forcing, "streamflow_area": area, "root": str(root)},
        source=f"CAMELS-US ({root})",
    )


def _forcing_variables(
    values: np.ndarray, columns: list[str], names: dict[str, str], derived: list[str], forcing: str
) -> tuple[dict[str, np.ndarray], dict[str, tuple[str, str]]]:
    """Canonical (site, time) forcing arrays in canonical units, and their (units, long_name)."""
    dyn, var_attrs = {}, {}
    for src, canon in names.items():
        scale, units, long_name = FORCING_UNITS.get(src.lower(), (1.0, "unknown", src))
        dyn[canon] = values[:, :, columns.index(src.lower())] * np.float32(scale)
        var_attrs[canon] = (units, f"{long_name} ({forcing})")
    for d in derived:
        hi, lo = (values[:, :, columns.index(c)] for c in DERIVED[d])
        dyn[d] = (hi + lo) / np.float32(2.0)
        var_attrs[d] = ("degC", f"daily mean air temperature, (tmax + tmin) / 2 ({forcing})")
    return dyn, var_attrs


def _forcing_selection(dynamic: NameSelection) -> tuple[dict[str, str], list[str]]:
    """(``{published column: canonical name}``, derived canonical names) of a forcing selection."""
    if isinstance(dynamic, Mapping):
        return dict(dynamic), []
    derived = [n for n in dynamic if n in DERIVED]
    return resolve_names([n for n in dynamic if n not in DERIVED], FORCING_NAMES, case_insensitive=True), derived


def forcing_index(root: Path, forcing: str) -> dict[str, list[Path]]:
    """Basin id → forcing file(s) of one product, found at any depth."""
    base = require_dir(root / "basin_mean_forcing", "CAMELS-US forcing", "Point root at the CAMELS-US folder.")
    folder = base / forcing
    if not folder.is_dir():
        have = sorted(p.name for p in base.iterdir() if p.is_dir())
        raise SourceDataError(f"CAMELS-US forcing {forcing!r} not found: {folder} does not exist. Available: {have}.")
    return _index(folder, "*_lump_*_forcing_leap.txt")


def read_forcing_file(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """The named columns of one forcing file, indexed by date, with lower-case column names.

    Names are matched case-insensitively (``PRCP(mm/day)`` = ``prcp(mm/day)``); ``attrs["area_m2"]``
    holds the basin area from header line 3.
    """
    header = _forcing_header(path)
    table = pd.read_csv(path, sep=r"\s+", skiprows=3, header=0)
    table.columns = [str(c).lower() for c in table.columns]
    wanted = [c.lower() for c in columns]
    require_columns(table.columns, ["year", "mnth", "day", *wanted], path)
    dates = pd.to_datetime(pd.DataFrame({"year": table["year"], "month": table["mnth"], "day": table["day"]}))
    out = pd.DataFrame({c: table[c].to_numpy(np.float64) for c in wanted}, index=pd.DatetimeIndex(dates, name="time"))
    out.attrs["area_m2"] = header[2]
    return out


def read_streamflow_file(path: Path) -> pd.DataFrame:
    """Discharge [ft³/s] of one streamflow file indexed by date; -999 and flag ``M`` → NaN."""
    table = pd.read_csv(
        path, sep=r"\s+", header=None, names=["gauge_id", "year", "month", "day", "q_cfs", "flag"],
        dtype={"gauge_id": str, "flag": str},
    )
    if table[["year", "month", "day", "q_cfs"]].isna().any().any():
        raise SourceDataError(f"{path} has lines with fewer than 5 fields (id year month day Q [flag]); is it a CAMELS streamflow file?")
    ids = set(table["gauge_id"].str.strip().str.zfill(8))
    expected = path.name[:8]
    if ids != {expected}:
        raise SourceDataError(f"{path} holds gauge_id {', '.join(sorted(ids)[:5])}, not the {expected} of its file "
                              "name; the file was renamed or copied over another basin's. Restore it from the archive.")
    q = _discharge(table["q_cfs"], path).where(lambda s: (s != MISSING_Q) & ~table["flag"].fillna("").str.startswith("M"))
    dates = pd.to_datetime(table[["year", "month", "day"]])
    return pd.DataFrame({"q_cfs": q.to_numpy()}, index=pd.DatetimeIndex(dates, name="time"))


def _discharge(values: pd.Series, path: Path) -> pd.Series:
    """The value column as numbers: USGS qualifier codes (``Ice``, ``Eqp`` …) are missing; other text is an error."""
    numbers = pd.to_numeric(values, errors="coerce")
    text = values[numbers.isna() & values.notna()].astype(str).str.strip()
    codes = text[text.isin(USGS_VALUE_CODES)]
    if len(codes):
        log.info("%s: %d days hold a USGS qualifier code instead of a value (%s); read as missing.", path,
                 len(codes), ", ".join(f"{c} ×{n}" for c, n in codes.value_counts().items()))
    other = text[~text.isin(USGS_VALUE_CODES)]
    if len(other):
        line = int(other.index[0]) + 1
        raise SourceDataError(f"{path} line {line}: discharge {other.iloc[0]!r} is neither a number nor a USGS "
                              f"qualifier code ({', '.join(sorted(USGS_VALUE_CODES))}); fix or restore the file.")
    return numbers.astype(np.float64)


def cfs_to_mm_per_day(q_cfs: np.ndarray, area_km2: float) -> np.ndarray:
    """Discharge [ft³/s] → depth per day over the basin [mm/d] (formula in the module docstring)."""
    return q_cfs * CUBIC_FEET_TO_M3 * 86400.0 / (area_km2 * 1e6) * 1000.0


def read_camels_attributes(root: Path) -> pd.DataFrame:
    """All ``camels_*.txt`` attribute tables joined on ``gauge_id`` (index, 8-digit str).

    ``attrs["folder"]`` records where they were found (``camels_attributes_v2.0/`` or, failing
    that, the folder of the first ``camels_topo.txt`` below ``root``).
    """
    folder = Path(root) / "camels_attributes_v2.0"
    if not (folder / "camels_topo.txt").is_file():
        found = sorted(Path(root).rglob("camels_topo.txt"))
        if not found:
            raise SourceDataError(f"No CAMELS attribute tables (camels_topo.txt) under {root}; expected {folder}.")
        folder = found[0].parent
    tables = []
    for path in sorted(folder.glob("camels_*.txt")):
        table = pd.read_csv(path, sep=";", dtype={"gauge_id": str})
        require_columns(table.columns, ["gauge_id"], path)
        ids = table["gauge_id"].str.strip().str.zfill(8)
        require_unique_ids(ids, path)
        tables.append(table.assign(gauge_id=ids).set_index("gauge_id"))
    joined = pd.concat(tables, axis=1)
    joined = joined.loc[:, ~joined.columns.duplicated()]
    joined.attrs["folder"] = folder
    return joined


def _areas(attributes: pd.DataFrame, forcings: dict[str, pd.DataFrame], area: str, folder: Path) -> dict[str, float]:
    """Basin id → area [km²] used to convert discharge; errors on missing or non-positive areas."""
    if area == FORCING_HEADER_AREA:
        areas = {b: f.attrs["area_m2"] / 1e6 for b, f in forcings.items()}
    else:
        require_columns(attributes.columns, [area], folder / "camels_topo.txt")
        areas = attributes[area].astype(float).to_dict()
    bad = [b for b, a in areas.items() if not np.isfinite(a) or a <= 0]
    if bad:
        raise SourceDataError(f"Basin area {area!r} is missing or not positive for {bad}; choose another area source.")
    return areas


def _forcing_header(path: Path) -> tuple[float, float, float]:
    """(latitude, elevation [m], area [m²]) from the first three lines of a forcing file."""
    with open(path) as f:
        lines = [f.readline() for _ in range(3)]
    try:
        lat, elev, area = (float(line.split()[0]) for line in lines)
    except (ValueError, IndexError) as err:
        raise SourceDataError(
            f"{path} does not start with three header lines (latitude, elevation, area in m²): {lines!r}."
        ) from err
    return lat, elev, area


def _index(folder: Path, pattern: str) -> dict[str, list[Path]]:
    """Basin id (the file name up to the first ``_``) → matching files at any depth below ``folder``."""
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.rglob(pattern)):
        found.setdefault(path.name.split("_")[0], []).append(path)
    return found


def _one(index: dict[str, list[Path]], basin: str) -> Path:
    """The single file of ``basin``; two copies (e.g. in two HUC folders) are ambiguous."""
    paths = index[basin]
    if len(paths) > 1:
        raise SourceDataError(f"Basin {basin} has several files: {[str(p) for p in paths]}; keep one.")
    return paths[0]
