"""SMAP L3 radiometer soil moisture (SPL3SMP) daily granules → canonical (site, time) Dataset.

The paper's target is the SMAP Level-3 passive soil moisture on the 36 km global EASE-Grid 2.0
(NSIDC product SPL3SMP, files ``SMAP_L3_SM_P_YYYYMMDD_R<CRID>_<nnn>.h5``). Each granule holds one
UTC day; the descending (6 am local) overpass is in group ``Soil_Moisture_Retrieval_Data_AM``
with 2-D (406, 964) datasets ``soil_moisture`` [m3/m3], ``retrieval_qual_flag``, ``latitude``,
``longitude``, ``EASE_row_index``, ``EASE_column_index`` (fill value −9999; the PM group names
the same datasets with a ``_pm`` suffix).

Conventions of this reader
--------------------------
* **Quality**: a value is kept only where ``retrieval_qual_flag`` bit 0 is 0 (in the SPL3SMP
  product specification bit 0 = 0 means "soil moisture retrieval has recommended quality"). In
  practice that keeps flag values 0 and 8: bit 3 reports the freeze/thaw retrieval, not the soil
  moisture; bits 1–2 (retrieval attempted / successful) are implied by a non-fill value. A flag
  equal to the dataset's ``_FillValue``, soil-moisture fill values (−9999, or the dataset's
  ``_FillValue``) and values outside its ``valid_min``/``valid_max`` attributes (0.02–0.5 in the
  product) are NaN too. NaN means "not observed"; it is never filled.
* **Dates** come from the file name (``_YYYYMMDD_``), not from the per-pixel time stamps. Days
  between ``start`` and ``end`` without a granule are gaps (all NaN), not errors; two granules of
  one day (e.g. two CRID versions) are an error naming both, so a mixed download is noticed.
* **Sites** are EASE-Grid 2.0 cells named ``r{row:03d}c{col:03d}`` (the same ids that
  :mod:`synergy_kedro.sources.smap_csv` gives the hydroDL pixels, so the two sources join).
  Select them by ``pixels`` (a (row, col) list) or by a ``bbox`` (lat_min, lat_max, lon_min,
  lon_max): with a bbox, a cell is a site when its centre lies inside and SMAP retrieved it
  (any quality) on at least one day of the period, which leaves out open water.
* ``lat``/``lon`` are the cell centres: the EASE-Grid 2.0 formulas on the standard 406 × 964
  grid (exact, independent of the data), else the granules' ``latitude``/``longitude``.

The module also holds the EASE-Grid 2.0 global 36 km geometry (EPSG:6933, Lambert cylindrical
equal-area on WGS84 with true scale at ±30°): cell centre ↔ (row, col) and the exact lat/lon
bounds of a cell (a cell is a lat/lon rectangle on this projection), which the NLDAS and static
layer aggregations use as pixel footprints.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.core.errors import ConfigurationError, UserError
from synergy_kedro.core.progress import progress

log = logging.getLogger(__name__)

#: (rows, columns) of the global EASE-Grid 2.0 36 km grid of SPL3SMP.
EASE2_GRID_SHAPE: tuple[int, int] = (406, 964)
#: Cell size of the 36 km grid [m] (NSIDC EASE-Grid 2.0 definition).
EASE2_CELL_M = 36032.220840584
#: A generous CONUS box (lat_min, lat_max, lon_min, lon_max) [degrees].
CONUS_BBOX: tuple[float, float, float, float] = (24.0, 50.0, -125.0, -66.5)
#: Fill value of SPL3SMP floating-point datasets.
FILL_VALUE = -9999.0

_A = 6378137.0  # WGS84 semi-major axis [m]
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
_E = np.sqrt(_E2)
_K0 = np.cos(np.deg2rad(30.0)) / np.sqrt(1 - _E2 * np.sin(np.deg2rad(30.0)) ** 2)
_X_MIN = -EASE2_GRID_SHAPE[1] / 2 * EASE2_CELL_M
_Y_MAX = EASE2_GRID_SHAPE[0] / 2 * EASE2_CELL_M

_DATE_IN_NAME = re.compile(r"SMAP_L3_SM_P_(\d{8})_")
_REQUIRED = ("soil_moisture", "retrieval_qual_flag", "latitude", "longitude")


class SmapL3Error(UserError, ValueError):
    """A SMAP L3 granule is unreadable, lacks a dataset or does not match the expected grid."""


# --------------------------------------------------------------------------- EASE-Grid 2.0 36 km


def _q(phi: np.ndarray) -> np.ndarray:
    """Authalic ``q(φ)`` of the WGS84 ellipsoid (Snyder 1987, eq. 3-12)."""
    s = np.sin(phi)
    return (1 - _E2) * (s / (1 - _E2 * s * s) - np.log((1 - _E * s) / (1 + _E * s)) / (2 * _E))


def ease2_rowcol(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fractional (row, col) of points on the 36 km grid; integers are cell centres, row 0 is north."""
    x = _A * _K0 * np.deg2rad(np.asarray(lon, np.float64))
    y = _A * _q(np.deg2rad(np.asarray(lat, np.float64))) / (2 * _K0)
    return (_Y_MAX - y) / EASE2_CELL_M - 0.5, (x - _X_MIN) / EASE2_CELL_M - 0.5


def _lat_of_y(y: np.ndarray) -> np.ndarray:
    """Latitude [deg] of projected ``y`` [m]: authalic latitude, then Snyder's series (eq. 3-18)."""
    qp = _q(np.pi / 2)
    beta = np.arcsin(np.clip(2 * _K0 * y / (_A * qp), -1.0, 1.0))
    e4, e6 = _E2**2, _E2**3
    phi = (beta + (_E2 / 3 + 31 * e4 / 180 + 517 * e6 / 5040) * np.sin(2 * beta)
           + (23 * e4 / 360 + 251 * e6 / 3780) * np.sin(4 * beta) + 761 * e6 / 45360 * np.sin(6 * beta))
    return np.rad2deg(phi)


def ease2_latlon(row: np.ndarray, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) [deg] of (row, col) positions; integer positions are cell centres."""
    y = _Y_MAX - (np.asarray(row, np.float64) + 0.5) * EASE2_CELL_M
    x = _X_MIN + (np.asarray(col, np.float64) + 0.5) * EASE2_CELL_M
    return _lat_of_y(y), np.rad2deg(x / (_A * _K0))


def ease2_site_ids(row: np.ndarray, col: np.ndarray) -> np.ndarray:
    """``r{row:03d}c{col:03d}`` ids (object array), the pixel naming shared by the SMAP readers."""
    return np.array([f"r{r:03d}c{c:03d}" for r, c in zip(np.asarray(row, int), np.asarray(col, int), strict=False)], dtype=object)


def ease2_pixel_bounds(row: Sequence[int], col: Sequence[int]) -> pd.DataFrame:
    """Footprints of 36 km cells: columns ``site, lat, lon, lat_min, lat_max, lon_min, lon_max`` [deg].

    On a cylindrical equal-area projection the cell edges are parallels and meridians, so these
    bounds are the exact cell, not an approximation; ``lat``/``lon`` are the cell centres.
    """
    r, c = np.asarray(row, np.int64), np.asarray(col, np.int64)
    lat, lon = ease2_latlon(r, c)
    lat_top, lon_left = ease2_latlon(r - 0.5, c - 0.5)
    lat_bottom, lon_right = ease2_latlon(r + 0.5, c + 0.5)
    return pd.DataFrame({
        "site": ease2_site_ids(r, c), "lat": lat, "lon": lon,
        "lat_min": lat_bottom, "lat_max": lat_top, "lon_min": lon_left, "lon_max": lon_right,
    })


def ease2_cells_in_bbox(bbox: tuple[float, float, float, float]) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of every 36 km cell whose centre lies in ``bbox`` (lat_min, lat_max, lon_min, lon_max)."""
    lat_min, lat_max, lon_min, lon_max = bbox
    r0, c0 = ease2_rowcol(lat_max, lon_min)
    r1, c1 = ease2_rowcol(lat_min, lon_max)
    rows = np.arange(max(int(np.ceil(r0)), 0), min(int(np.floor(r1)), EASE2_GRID_SHAPE[0] - 1) + 1)
    cols = np.arange(max(int(np.ceil(c0)), 0), min(int(np.floor(c1)), EASE2_GRID_SHAPE[1] - 1) + 1)
    rr, cc = np.meshgrid(rows, cols, indexing="ij")
    return rr.ravel(), cc.ravel()


# --------------------------------------------------------------------------- granules


def granule_date(path: Path) -> pd.Timestamp:
    """UTC day of a granule from its name ``SMAP_L3_SM_P_YYYYMMDD_...``."""
    m = _DATE_IN_NAME.search(Path(path).name)
    if not m:
        raise SmapL3Error(f"{path}: the file name has no date; expected SMAP_L3_SM_P_YYYYMMDD_R<CRID>_<nnn>.h5.")
    try:
        return pd.Timestamp(m.group(1))
    except ValueError as exc:
        raise SmapL3Error(f"{path}: {m.group(1)!r} in the file name is not a date ({exc}).") from exc


def _list_granules(files: Path | Sequence[Path]) -> pd.Series:
    """Granule paths indexed by date, sorted; a folder is searched recursively (NSIDC's YYYY.MM.DD/)."""
    if isinstance(files, (str, Path)):
        root = Path(files)
        if not root.is_dir():
            raise SmapL3Error(f"{root} is not a folder of SMAP L3 granules (pass a folder or a list of files).")
        paths = sorted(root.rglob("SMAP_L3_SM_P_*.h5"))
    else:
        paths = [Path(p) for p in files]
    dates = pd.DatetimeIndex([granule_date(p) for p in paths])
    s = pd.Series(paths, index=dates, dtype=object).sort_index()
    dup = s.index.duplicated(keep=False)
    if dup.any():
        day = s.index[dup][0]
        raise SmapL3Error(
            f"Two granules for {day.date()}: {[str(p) for p in s[day]]}. Keep one version (CRID) per day."
        )
    return s


def _read_granule(path: Path, group: str, suffix: str, grid_shape: tuple[int, int],
                  window: tuple[slice, slice], read: Sequence[str] = _REQUIRED) -> dict[str, np.ndarray]:
    """The ``read`` datasets of one granule cut to ``window``, after checking all required ones exist
    with the grid's shape; errors name the file and the problem."""
    try:
        with h5py.File(path, "r") as f:
            if group not in f:
                raise SmapL3Error(f"{path}: group {group!r} is missing (has {sorted(f.keys())}); is it an SPL3SMP granule?")
            g = f[group]
            out = {}
            for name in _REQUIRED:
                key = name + suffix
                if key not in g:
                    raise SmapL3Error(f"{path}: dataset {group}/{key} is missing.")
                d = g[key]
                if d.shape != tuple(grid_shape):
                    raise SmapL3Error(
                        f"{path}: {group}/{key} has shape {d.shape}, expected the grid {tuple(grid_shape)}"
                        " (36 km EASE-Grid 2.0 is (406, 964); the enhanced 9 km product is not supported)."
                    )
                if name not in read:
                    continue
                values = d[window]
                if values.dtype.kind == "f":
                    fill = np.asarray(d.attrs.get("_FillValue", FILL_VALUE)).ravel()[0]
                    values = np.where(values == fill, np.nan, values.astype(np.float32, copy=False))
                    lo, hi = d.attrs.get("valid_min"), d.attrs.get("valid_max")
                    if name == "soil_moisture" and lo is not None and hi is not None:
                        lo, hi = float(np.ravel(lo)[0]), float(np.ravel(hi)[0])
                        values = np.where((values >= lo) & (values <= hi), values, np.nan)
                elif "_FillValue" in d.attrs:  # integer flags: fill → -1, never "recommended"
                    values = np.where(values == np.ravel(d.attrs["_FillValue"])[0], -1, values.astype(np.int64))
                out[name] = values
            return out
    except OSError as exc:  # h5py's error for a truncated/corrupt file or chunk
        raise SmapL3Error(f"{path}: cannot be read as HDF5 ({exc}); re-download the granule.") from exc


def _window(pixels: np.ndarray | None, bbox, grid_shape: tuple[int, int]) -> tuple[slice, slice]:
    """Smallest row/col block to read: the requested pixels' block, the bbox's on the standard grid, else all."""
    if pixels is not None:
        return slice(pixels[:, 0].min(), pixels[:, 0].max() + 1), slice(pixels[:, 1].min(), pixels[:, 1].max() + 1)
    if bbox is not None and tuple(grid_shape) == EASE2_GRID_SHAPE:
        rows, cols = ease2_cells_in_bbox(bbox)
        if rows.size:
            return slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1)
    return slice(0, grid_shape[0]), slice(0, grid_shape[1])


def read_smap_l3(
    files: Path | Sequence[Path],
    *,
    bbox: tuple[float, float, float, float] | None = CONUS_BBOX,
    pixels: Sequence[tuple[int, int]] | None = None,
    start: str | None = None,
    end: str | None = None,
    overpass: str = "AM",
    grid_shape: tuple[int, int] = EASE2_GRID_SHAPE,
) -> xr.Dataset:
    """Stack SPL3SMP granules into a canonical Dataset with target ``soil_moisture`` [m3/m3].

    Args:
        files: a folder (searched recursively for ``SMAP_L3_SM_P_*.h5``) or a list of granules.
        bbox: (lat_min, lat_max, lon_min, lon_max) [deg] selecting cells by centre; ignored when
            ``pixels`` is given.
        pixels: explicit (row, col) cells, kept in the given order (never-retrieved cells included).
        start, end: inclusive period; default the first and last granule dates. Granules outside
            are skipped; days inside without a granule are all-NaN gaps.
        overpass: ``"AM"`` (descending, the paper's) or ``"PM"``.
        grid_shape: expected 2-D shape of every dataset (tests use small grids).

    Returns:
        Dataset (site, time) with ``soil_moisture`` float32 and site coords ``lat``, ``lon``,
        ``ease_row``, ``ease_col``, ``eco_l1/2/3`` (``""``: assigned later by pixel centroid).
    """
    if overpass not in ("AM", "PM"):
        raise ConfigurationError(f"overpass must be 'AM' or 'PM', not {overpass!r}")
    group, suffix = f"Soil_Moisture_Retrieval_Data_{overpass}", ("" if overpass == "AM" else "_pm")
    granules = _list_granules(files)
    if granules.empty and (start is None or end is None):
        raise SmapL3Error(f"No SMAP L3 granules (SMAP_L3_SM_P_*.h5) found in {files}.")
    first = pd.Timestamp(start) if start is not None else granules.index.min()
    last = pd.Timestamp(end) if end is not None else granules.index.max()
    time = pd.date_range(first.normalize(), last.normalize(), freq="D", name="time")
    granules = granules[(granules.index >= time[0]) & (granules.index <= time[-1])]

    px = None
    if pixels is not None:
        px = np.asarray(pixels, dtype=np.int64).reshape(-1, 2)
        bad = (px < 0).any(axis=1) | (px[:, 0] >= grid_shape[0]) | (px[:, 1] >= grid_shape[1])
        if bad.any() or px.size == 0:
            raise ConfigurationError(f"pixels must be (row, col) inside the grid {tuple(grid_shape)}; bad: {px[bad][:5].tolist()}")
    win = _window(px, bbox, grid_shape)
    shape = (win[0].stop - win[0].start, win[1].stop - win[1].start)

    # One file per day is the product's layout, so this loop is over files; the work inside is whole-array.
    cube = np.full((len(time),) + shape, np.nan, dtype=np.float32)
    lat_grid = np.full(shape, np.nan)
    lon_grid = np.full(shape, np.nan)
    retrieved = np.zeros(shape, dtype=bool)
    standard = tuple(grid_shape) == EASE2_GRID_SHAPE
    read = ("soil_moisture", "retrieval_qual_flag") if standard else _REQUIRED
    t_index = ((granules.index - time[0]) // pd.Timedelta(days=1)).to_numpy()
    for t, path in progress(zip(t_index, granules.to_numpy(), strict=False), desc="read SMAP L3", unit="granule", total=len(t_index)):
        g = _read_granule(path, group, suffix, grid_shape, win, read)
        sm = g["soil_moisture"]
        flag = np.asarray(g["retrieval_qual_flag"]).astype(np.int64)
        recommended = (flag >= 0) & ((flag & 1) == 0)
        cube[t] = np.where(recommended, sm, np.nan)
        retrieved |= np.isfinite(sm)
        if not standard:
            lat_grid = np.where(np.isnan(lat_grid), g["latitude"], lat_grid)
            lon_grid = np.where(np.isnan(lon_grid), g["longitude"], lon_grid)

    rows_w, cols_w = np.meshgrid(np.arange(win[0].start, win[0].stop), np.arange(win[1].start, win[1].stop), indexing="ij")
    if standard:
        lat_grid, lon_grid = ease2_latlon(rows_w, cols_w)
    if px is not None:
        r_loc, c_loc = px[:, 0] - win[0].start, px[:, 1] - win[1].start
    else:
        keep = retrieved.copy()
        if bbox is not None:
            lat_min, lat_max, lon_min, lon_max = bbox
            with np.errstate(invalid="ignore"):
                keep &= (lat_grid >= lat_min) & (lat_grid <= lat_max) & (lon_grid >= lon_min) & (lon_grid <= lon_max)
        r_loc, c_loc = np.nonzero(keep)
    if r_loc.size == 0:
        raise SmapL3Error(f"No SMAP cell in bbox {bbox} was retrieved in {len(granules)} granule(s) of {files}.")
    rows, cols = rows_w[r_loc, c_loc], cols_w[r_loc, c_loc]
    site = ease2_site_ids(rows, cols)
    if pd.Index(site).has_duplicates:
        raise ConfigurationError("pixels lists a (row, col) cell more than once.")

    n = len(site)
    empty = np.full(n, "", dtype=object)
    sm = np.ascontiguousarray(cube[:, r_loc, c_loc].T)
    log.info("SMAP L3 %s: %d granules, %d days, %d cells, %.1f %% observed",
             overpass, len(granules), len(time), n, 100 * np.isfinite(sm).mean() if sm.size else 0.0)
    return xr.Dataset(
        {"soil_moisture": (("site", "time"), sm, {
            "units": "m3 m-3", "long_name": f"SMAP L3 radiometer soil moisture, {overpass} overpass, recommended quality",
        })},
        coords={
            "site": ("site", site),
            "time": ("time", time.values.astype("datetime64[ns]")),
            "lat": ("site", lat_grid[r_loc, c_loc].astype(np.float64), {"units": "degrees_north", "long_name": "cell centre latitude"}),
            "lon": ("site", lon_grid[r_loc, c_loc].astype(np.float64), {"units": "degrees_east", "long_name": "cell centre longitude"}),
            "ease_row": ("site", rows.astype(np.int32), {"long_name": "EASE-Grid 2.0 36 km row (0 = north)"}),
            "ease_col": ("site", cols.astype(np.int32), {"long_name": "EASE-Grid 2.0 36 km column (0 = 180 W)"}),
            "eco_l1": ("site", empty.copy(), {"long_name": "EPA NA level-I ecoregion code"}),
            "eco_l2": ("site", empty.copy(), {"long_name": "EPA NA level-II ecoregion code"}),
            "eco_l3": ("site", empty.copy(), {"long_name": "EPA NA level-III ecoregion code"}),
        },
        attrs={
            "source": "smap_l3",
            "product": "SPL3SMP (SMAP L3 radiometer global daily 36 km EASE-Grid 2.0 soil moisture)",
            "quality": "retrieval_qual_flag bit 0 == 0 (recommended quality); fill and out-of-valid-range values are NaN",
            "overpass": overpass,
            "granules": len(granules),
        },
    )
