"""The hydroDL csv database (SMAP L3 + NLDAS-2 on 36 km pixels) → canonical (site, time) Dataset.

This is the on-disk layout of the paper's authors' code (mhpi/hydroDL ``example/data``)::

    <root>/<subset>/crd.csv              pixels × (lat, lon), no header
    <root>/<subset>/<year>/<VAR>.csv     pixels × days, no header; year Y = Y-04-01 .. (Y+1)-03-31
    <root>/<subset>/<year>/timeStr.csv   the year's dates, yyyy-mm-dd
    <root>/<subset>/const/<VAR>.csv      one value per pixel
    <root>/Subset/<subset>.csv           optional: line 1 the folder holding the data, then 1-based
                                         pixel indices into it (``-1`` = all pixels)

−9999 means missing everywhere (hydroDL's convention) and becomes NaN; gaps are never filled.

Names and units
---------------
Variable names are kept as hydroDL/NLDAS names (``APCP_FORA``, ``TMP_2_FORA``, ...), so the
``features`` lists of a hydroDL configuration work unchanged; only the target is renamed
(``SMAP_AM`` → ``soil_moisture``). The forcing files hold **daily means of NLDAS-2 FORA hourly
values**, so ``APCP_FORA`` is a mean hourly rate [kg m-2 h-1 = mm/h]; multiply by 24 for mm/d
(:mod:`synergy_kedro.sources.nldas` produces the daily *sum* ``APCP`` [kg m-2 d-1]; the two are not
interchangeable). Units are in :data:`UNITS`; a variable not listed gets ``units="unknown"``.

Sites
-----
The pixels are EASE-Grid 2.0 36 km cell centres, so sites are named ``r{row:03d}c{col:03d}`` like
:mod:`synergy_kedro.sources.smap_l3` names them (the two sources join on ``site``), with
``ease_row``/``ease_col`` coordinates. ``site_ids="index"`` gives ``px0000``... (row order of
``crd.csv``) for databases on another grid. ``eco_l1/2/3`` are ``""``: region membership is
assigned elsewhere by pixel centroid.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.core.errors import ConfigurationError, UserError
from synergy_kedro.sources.smap_l3 import ease2_rowcol, ease2_site_ids

log = logging.getLogger(__name__)

MISSING = -9999.0

#: (units, long_name) of the hydroDL variables this project uses (units from the data README).
UNITS: dict[str, tuple[str, str]] = {
    "APCP_FORA": ("kg m-2 h-1", "precipitation, daily mean of NLDAS-2 hourly totals"),
    "TMP_2_FORA": ("K", "2 m air temperature, daily mean (NLDAS-2)"),
    "SPFH_2_FORA": ("kg kg-1", "2 m specific humidity, daily mean (NLDAS-2)"),
    "DSWRF_FORA": ("W m-2", "downward shortwave radiation at the surface, daily mean (NLDAS-2)"),
    "DLWRF_FORA": ("W m-2", "downward longwave radiation at the surface, daily mean (NLDAS-2)"),
    "UGRD_10_FORA": ("m s-1", "10 m zonal wind, daily mean (NLDAS-2)"),
    "VGRD_10_FORA": ("m s-1", "10 m meridional wind, daily mean (NLDAS-2)"),
    "PRES_FORA": ("Pa", "surface pressure, daily mean (NLDAS-2)"),
    "SMAP_AM": ("m3 m-3", "SMAP L3 radiometer soil moisture, AM (descending) overpass"),
    "SMAP_PM": ("m3 m-3", "SMAP L3 radiometer soil moisture, PM (ascending) overpass"),
    "Bulk": ("g cm-3", "soil bulk density"),
    "Capa": ("unknown", "soil water capacity (hydroDL 'Capa'; units not documented)"),
    "Clay": ("%", "soil clay fraction"),
    "Sand": ("%", "soil sand fraction"),
    "Silt": ("%", "soil silt fraction"),
    "NDVI": ("1", "normalised difference vegetation index, long-term mean"),
    "flag_albedo": ("1", "SMAP albedo flag (fraction)"),
    "flag_extraOrd": ("1", "SMAP extraordinary-condition flag"),
    "flag_landcover": ("1", "SMAP land-cover class flag"),
    "flag_roughness": ("1", "SMAP roughness flag"),
    "flag_vegDense": ("1", "SMAP dense-vegetation flag (fraction)"),
    "flag_waterbody": ("1", "SMAP water-body flag (fraction)"),
}

DEFAULT_DYNAMIC = ("APCP_FORA", "TMP_2_FORA", "SPFH_2_FORA", "DSWRF_FORA", "DLWRF_FORA", "UGRD_10_FORA", "VGRD_10_FORA")
DEFAULT_STATIC = ("Bulk", "Capa", "Clay", "NDVI", "Sand", "Silt")


class SmapCsvError(UserError, ValueError):
    """A file of the hydroDL csv database is missing or has the wrong shape or dates."""


def _read_matrix(path: Path, n_rows: int, n_cols: int | None = None) -> np.ndarray:
    """A header-less numeric csv as float32 (−9999 → NaN), checked to be ``n_rows`` × ``n_cols``."""
    if not path.is_file():
        raise SmapCsvError(f"{path} does not exist; check the variable name and the year folders.")
    try:
        values = pd.read_csv(path, header=None, dtype=np.float64).to_numpy()
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SmapCsvError(f"{path} is not a header-less numeric csv ({exc}).") from exc
    expected = (n_rows, n_cols) if n_cols is not None else (n_rows, 1)
    if values.shape != expected:
        raise SmapCsvError(f"{path} has shape {values.shape}, expected {expected} (pixels × days).")
    values[values == MISSING] = np.nan
    return values.astype(np.float32)


def _read_dates(path: Path) -> pd.DatetimeIndex:
    """Dates of one year folder from ``timeStr.csv``."""
    if not path.is_file():
        raise SmapCsvError(f"{path} does not exist; every year folder needs its timeStr.csv.")
    try:
        return pd.DatetimeIndex(pd.to_datetime(pd.read_csv(path, header=None).iloc[:, 0], format="%Y-%m-%d"))
    except (ValueError, pd.errors.ParserError) as exc:
        raise SmapCsvError(f"{path} does not hold one yyyy-mm-dd date per line ({exc}).") from exc


def _subset(root: Path, subset: str) -> tuple[Path, np.ndarray | None]:
    """The data folder of ``subset`` and its 0-based pixel indices (None = all pixels)."""
    listing = root / "Subset" / f"{subset}.csv"
    if not listing.is_file():
        return root / subset, None
    lines = [ln.strip() for ln in listing.read_text().splitlines() if ln.strip()]
    if not lines:
        raise SmapCsvError(f"{listing} is empty; line 1 must name the data folder.")
    try:
        idx = np.array([int(float(v)) for v in lines[1:]], dtype=np.int64)
    except ValueError as exc:
        raise SmapCsvError(f"{listing}: lines after the first must be pixel indices ({exc}).") from exc
    return root / lines[0], (None if idx.size == 0 or (idx.size == 1 and idx[0] == -1) else idx - 1)


def _site_ids(lat: np.ndarray, lon: np.ndarray, scheme: str, crd: Path) -> tuple[np.ndarray, dict]:
    """Site ids and extra coords: EASE-Grid 2.0 (row, col) of the pixel centres, or the row number."""
    if scheme == "index":
        return np.array([f"px{i:04d}" for i in range(len(lat))], dtype=object), {}
    if scheme != "ease":
        raise ConfigurationError(f"site_ids must be 'ease' or 'index', not {scheme!r}")
    row, col = ease2_rowcol(lat, lon)
    r, c = np.rint(row).astype(np.int64), np.rint(col).astype(np.int64)
    off = np.maximum(np.abs(row - r), np.abs(col - c))
    if not np.all(off < 1e-3):
        raise SmapCsvError(
            f"{crd}: {int((off >= 1e-3).sum())} pixel(s) are not EASE-Grid 2.0 36 km cell centres (largest offset"
            f" {off.max():.3f} cells); pass site_ids='index' for another grid."
        )
    extra = {
        "ease_row": ("site", r.astype(np.int32), {"long_name": "EASE-Grid 2.0 36 km row (0 = north)"}),
        "ease_col": ("site", c.astype(np.int32), {"long_name": "EASE-Grid 2.0 36 km column (0 = 180 W)"}),
    }
    return ease2_site_ids(r, c), extra


def _attrs(name: str) -> dict[str, str]:
    units, long_name = UNITS.get(name, ("unknown", name))
    return {"units": units, "long_name": long_name}


def read_smap_csv(
    root: Path,
    subset: str = "CONUSv4f1",
    years: Sequence[int] = (2015, 2016),
    dynamic: Sequence[str] = DEFAULT_DYNAMIC,
    static: Sequence[str] = DEFAULT_STATIC,
    target: str = "SMAP_AM",
    site_ids: str = "ease",
) -> xr.Dataset:
    """Read ``years`` of a hydroDL csv database into the canonical Dataset.

    Args:
        root: the database folder (holding ``<subset>/``, and optionally ``Subset/``).
        subset: pixel subset, e.g. ``"CONUSv4f1"`` (412 pixels: every 4th 36 km pixel of CONUS).
        years: consecutive hydroDL years; year Y covers Y-04-01 .. (Y+1)-03-31.
        dynamic: forcing variables, kept under their hydroDL names.
        static: ``const/`` variables, kept under their names.
        target: hydroDL target file, renamed ``soil_moisture``. A year without the target file
            (e.g. 2017, forcing only) gives NaN target days; a missing forcing or static file is an
            error naming it.
        site_ids: ``"ease"`` (``r047c151``, default) or ``"index"`` (``px0000``...).

    Returns:
        Dataset (site, time): ``dynamic`` and ``soil_moisture`` float32 on (site, time), ``static``
        float32 on (site); coords ``lat``, ``lon``, ``eco_l1/2/3`` (``""``) and, with EASE ids,
        ``ease_row``/``ease_col``.
    """
    root = Path(root)
    folder, index = _subset(root, subset)
    crd_path = folder / "crd.csv"
    if not crd_path.is_file():
        raise SmapCsvError(f"{crd_path} does not exist; is {root} a hydroDL csv database with subset {subset!r}?")
    crd = pd.read_csv(crd_path, header=None).to_numpy(dtype=np.float64)
    if crd.ndim != 2 or crd.shape[1] != 2:
        raise SmapCsvError(f"{crd_path} has shape {crd.shape}, expected pixels × (lat, lon).")
    n_all = crd.shape[0]
    if index is not None and (index.min() < 0 or index.max() >= n_all):
        raise SmapCsvError(f"{root / 'Subset' / (subset + '.csv')}: indices outside 1..{n_all} (pixels of {crd_path}).")
    take = slice(None) if index is None else index
    years = sorted(int(y) for y in years)
    if not years:
        raise ConfigurationError("years is empty")

    dates, dyn, tgt = [], {v: [] for v in dynamic}, []
    for year in years:
        ydir = folder / str(year)
        if not ydir.is_dir():
            raise SmapCsvError(f"{ydir} does not exist; years available: {sorted(p.name for p in folder.glob('[0-9]*'))}.")
        d = _read_dates(ydir / "timeStr.csv")
        if dates and d[0] != dates[-1][-1] + pd.Timedelta(days=1):
            raise SmapCsvError(
                f"{ydir / 'timeStr.csv'} starts on {d[0].date()}, not the day after the previous year's last date"
                f" ({dates[-1][-1].date()}); read consecutive years."
            )
        dates.append(d)
        for v in dynamic:
            dyn[v].append(_read_matrix(ydir / f"{v}.csv", n_all, len(d))[take])
        tpath = ydir / f"{target}.csv"
        if tpath.is_file():
            tgt.append(_read_matrix(tpath, n_all, len(d))[take])
        else:
            log.info("%s is absent: %s target is NaN for year %d", tpath, target, year)
            tgt.append(np.full((crd[take].shape[0], len(d)), np.nan, dtype=np.float32))
    time = dates[0].append(dates[1:]) if len(dates) > 1 else dates[0]
    if not (time.to_series().diff().dropna() == pd.Timedelta(days=1)).all():
        raise SmapCsvError(f"The timeStr.csv files of {folder} for years {years} are not consecutive daily dates.")

    lat, lon = crd[take, 0], crd[take, 1]
    site, extra = _site_ids(lat, lon, site_ids, crd_path)
    data_vars = {v: (("site", "time"), np.concatenate(dyn[v], axis=1), _attrs(v)) for v in dynamic}
    data_vars["soil_moisture"] = (("site", "time"), np.concatenate(tgt, axis=1), _attrs(target) | {"hydrodl_name": target})
    for v in static:
        data_vars[v] = (("site",), _read_matrix(folder / "const" / f"{v}.csv", n_all)[take, 0], _attrs(v))

    empty = np.full(len(site), "", dtype=object)
    coords = {
        "site": ("site", site),
        "time": ("time", time.values.astype("datetime64[ns]")),
        "lat": ("site", lat, {"units": "degrees_north", "long_name": "pixel centre latitude"}),
        "lon": ("site", lon, {"units": "degrees_east", "long_name": "pixel centre longitude"}),
        "eco_l1": ("site", empty.copy(), {"long_name": "EPA NA level-I ecoregion code"}),
        "eco_l2": ("site", empty.copy(), {"long_name": "EPA NA level-II ecoregion code"}),
        "eco_l3": ("site", empty.copy(), {"long_name": "EPA NA level-III ecoregion code"}),
    } | extra
    return xr.Dataset(data_vars, coords=coords, attrs={
        "source": "smap_csv", "database": str(root), "subset": subset, "years": ",".join(map(str, years)),
        "description": "hydroDL csv database: SMAP L3 soil moisture with NLDAS-2 daily forcing on 36 km pixels",
    })
