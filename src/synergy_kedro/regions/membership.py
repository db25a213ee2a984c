"""Which region each site belongs to, for a chosen stratification scheme.

Two kinds of scheme:

* **EPA ecoregions** from polygons (the paper's): a gauge point falls in one level-III polygon
  (:func:`epa_membership_from_points`), or a basin is assigned the level-III region covering most
  of its area (:func:`epa_membership_from_basins`). Level II and I follow from the polygon's own
  published fields ``NA_L2CODE`` / ``NA_L1CODE``; the sub-region letter A–R of the first
  experiment follows from :func:`synergy_kedro.regions.hierarchy.subregion_of`, in partitioning.
* **a site column** already in the Dataset, e.g. GAGES-II ``AGGECOREGION`` or ``HUC02``, as text
  (:func:`column_labels`; partitioning picks the labels that get a model).

The EPA functions give the Dataset ``eco_l1/2/3`` coordinates (str, "" = none); the ``region`` of a
scheme is partitioning's (:func:`synergy_kedro.pipelines.partitioning.nodes.assign_regions`), never
the Dataset's. Codes are strings: ``8.1`` and ``8.10`` differ.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.core.errors import SourceDataError

log = logging.getLogger(__name__)

#: Published EPA fields → canonical coordinate names.
EPA_FIELDS = {"NA_L1CODE": "eco_l1", "NA_L2CODE": "eco_l2", "NA_L3CODE": "eco_l3"}
#: Equal-area CRS for basin/polygon overlap areas (CONUS Albers, metres).
EQUAL_AREA_CRS = "EPSG:5070"
_LEVELS = list(EPA_FIELDS.values())


def read_ecoregion_polygons(path: Path) -> gpd.GeoDataFrame:
    """EPA ecoregion polygons (shapefile, GeoPackage, GeoJSON…) with text ``NA_L1/2/3CODE`` fields, in EPSG:4326."""
    path = Path(path)
    if not path.exists():
        raise SourceDataError(f"Ecoregion polygon file {path} does not exist.")
    try:
        polygons = gpd.read_file(path)
    except Exception as exc:  # pyogrio/fiona raise their own types for an unreadable file
        raise SourceDataError(
            f"Ecoregion polygon file {path} cannot be read ({type(exc).__name__}: {str(exc).splitlines()[0][:200]}). "
            "It may be cut short (an interrupted download or copy) or not a vector format: download it again "
            "(README, Real data).") from exc
    if polygons.empty:  # an empty FeatureCollection has no fields either: say what is really wrong
        raise SourceDataError(
            f"{path} has no features (no polygons): it may be an export that selected nothing or a download cut "
            "short. Use the EPA level-III polygons (README, Real data).")
    missing = [f for f in EPA_FIELDS if f not in polygons.columns]
    if missing:
        raise SourceDataError(
            f"{path} lacks the EPA field(s) {missing} (has {[c for c in polygons.columns if c != 'geometry']}); "
            "use the EPA level-III polygons with their published NA_L*CODE fields."
        )
    if polygons.crs is None:
        raise SourceDataError(f"{path} has no coordinate reference system; set one (e.g. EPSG:4326) before use.")
    for field in EPA_FIELDS:
        polygons[field] = polygons[field].astype(str).str.strip()
    return polygons.to_crs("EPSG:4326")


def epa_membership_from_points(lat: Sequence[float], lon: Sequence[float], polygons: gpd.GeoDataFrame) -> pd.DataFrame:
    """``eco_l1``, ``eco_l2``, ``eco_l3`` of each point (WGS84 degrees); "" outside every polygon.

    A point on a shared border touches two polygons; the first one listed wins, so the result is
    deterministic. The index is that of ``lat`` if it is a Series, else 0..n-1.
    """
    index = lat.index if isinstance(lat, pd.Series) else pd.RangeIndex(len(lat))
    points = gpd.GeoDataFrame(
        {"_row": np.arange(len(index))}, geometry=gpd.points_from_xy(np.asarray(lon, float), np.asarray(lat, float)), crs="EPSG:4326"
    )
    hits = gpd.sjoin(points, _epa_fields(polygons).to_crs("EPSG:4326"), how="left", predicate="intersects")
    hits = hits.sort_values(["_row", "index_right"]).drop_duplicates("_row")
    out = hits.set_index("_row")[list(EPA_FIELDS)].rename(columns=EPA_FIELDS).fillna("")
    return out.set_axis(index)


def epa_membership_from_basins(basins: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame) -> pd.DataFrame:
    """Level-III region covering most of each basin's area (index = ``basins``' index).

    Areas are measured in an equal-area CRS (EPSG:5070) and summed per level-III code, so a region
    split into several polygons counts as one. Also returns ``overlap_frac``, the chosen region's
    share of the basin area (0 and "" codes for a basin outside every polygon).
    """
    if basins.crs is None:
        raise SourceDataError("The basin polygons have no coordinate reference system; set one before computing membership.")
    shapes = gpd.GeoDataFrame(
        {"_basin": np.arange(len(basins))}, geometry=basins.geometry.to_crs(EQUAL_AREA_CRS).values, crs=EQUAL_AREA_CRS
    )
    pieces = gpd.overlay(shapes, _epa_fields(polygons).to_crs(EQUAL_AREA_CRS), how="intersection", keep_geom_type=True)
    pieces["_area"] = pieces.area
    by_code = pieces.groupby(["_basin", *EPA_FIELDS], as_index=False)["_area"].sum()
    best = by_code.sort_values(["_basin", "_area"], ascending=[True, False]).drop_duplicates("_basin").set_index("_basin")
    out = pd.DataFrame(index=pd.RangeIndex(len(shapes)))
    out[_LEVELS] = best[list(EPA_FIELDS)].reindex(out.index).fillna("").to_numpy()
    out["overlap_frac"] = (best["_area"].reindex(out.index) / shapes.area.to_numpy()).fillna(0.0).to_numpy()
    return out.set_axis(basins.index)


def assign_epa_regions(ds: xr.Dataset, polygons: gpd.GeoDataFrame) -> xr.Dataset:
    """``ds`` with ``eco_l1/2/3`` from its ``lat``/``lon``.

    Sites outside every polygon (Canada, Mexico, offshore) get "" everywhere and are logged.
    """
    codes = epa_membership_from_points(ds["lat"].values, ds["lon"].values, polygons)
    outside = ds["site"].values[(codes["eco_l3"] == "").to_numpy()]
    if len(outside):
        log.warning("%d of %d sites fall outside every ecoregion polygon: %s", len(outside), ds.sizes["site"], list(outside[:30]))
    return set_epa_codes(ds, codes)


def set_epa_codes(ds: xr.Dataset, codes: pd.DataFrame) -> xr.Dataset:
    """``ds`` with ``eco_l1/2/3`` from a membership table (rows in site order)."""
    coords = {
        level: ("site", codes[level].astype(str).to_numpy(dtype=object), {"long_name": f"EPA NA level-{roman} ecoregion code"})
        for level, roman in zip(_LEVELS, ("I", "II", "III"), strict=False)
    }
    return ds.assign_coords(coords)


def column_labels(ds: xr.Dataset, column: str) -> pd.Series:
    """The text of a (site) variable or coordinate (e.g. ``AGGECOREGION``, ``HUC02``), one label per site.

    Whole numbers print without a decimal point (``1.0`` → ``"1"``), so a numeric HUC column gives
    the labels a user writes in ``partitioning.regions``; missing values become "".
    """
    if column not in ds.variables or ds[column].dims != ("site",):
        have = sorted(str(k) for k, v in ds.variables.items() if v.dims == ("site",))
        raise SourceDataError(f"Region column {column!r} is not a (site) variable or coordinate of the Dataset; "
                              f"(site) columns: {have}.")
    values = pd.Series(ds[column].values, index=pd.Index(ds["site"].values, name="site"))
    if pd.api.types.is_numeric_dtype(values):
        whole = values.dropna().eq(values.dropna().round()).all()
        return values.map(lambda v: "" if pd.isna(v) else (str(int(v)) if whole else str(v)))
    return values.map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())


def _epa_fields(polygons: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Only the EPA code fields and geometry, codes as text; clear error where fields are missing."""
    missing = [f for f in EPA_FIELDS if f not in polygons.columns]
    if missing:
        raise SourceDataError(f"The ecoregion polygons lack the field(s) {missing}; read them with read_ecoregion_polygons.")
    if polygons.crs is None:
        raise SourceDataError("The ecoregion polygons have no coordinate reference system; set one before use.")
    codes = {field: polygons[field].astype(str).str.strip().to_numpy() for field in EPA_FIELDS}
    return gpd.GeoDataFrame(codes, geometry=polygons.geometry.values, crs=polygons.crs)
