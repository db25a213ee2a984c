"""Building the canonical (site, time) Dataset from per-site tables, shared by every reader.

Readers differ in how they parse files; they all end with per-site daily series and per-site
attributes. This module puts those on one continuous daily axis (gaps stay NaN, never filled),
casts values to float32, attaches ``units``/``long_name`` and the required site coordinates
(``lat``, ``lon`` and empty ``eco_l1/2/3`` labels, filled later by :mod:`synergy_kedro.regions.membership`),
and checks the result with :func:`synergy_kedro.core.canonical.validate_canonical`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.core.canonical import validate_canonical
from synergy_kedro.sources.errors import SourceDataError, require_columns

#: Name selection as the user gives it: source names (renamed by the reader's default table) or
#: an explicit ``{source name: canonical name}`` mapping.
NameSelection = Sequence[str] | Mapping[str, str]

#: Units and descriptions of the CAMELS v2.0 attributes (Addor et al. 2017), shared by CAMELS-US
#: and Caravan's CAMELS attributes. Keyed by the *canonical* name the readers give them.
ATTRIBUTE_ATTRS: dict[str, tuple[str, str]] = {
    "p_mean": ("mm/d", "mean daily precipitation"),
    "pet_mean": ("mm/d", "mean daily potential evapotranspiration"),
    "aridity": ("-", "aridity index, mean PET / mean precipitation"),
    "p_seasonality": ("-", "seasonality and timing of precipitation"),
    "frac_snow": ("-", "fraction of precipitation falling as snow"),
    "high_prec_freq": ("d/yr", "frequency of high-precipitation days"),
    "high_prec_dur": ("d", "mean duration of high-precipitation events"),
    "low_prec_freq": ("d/yr", "frequency of dry days"),
    "low_prec_dur": ("d", "mean duration of dry periods"),
    "elevation": ("m", "mean catchment elevation"),
    "elev_mean": ("m", "mean catchment elevation"),
    "slope": ("m/km", "mean catchment slope"),
    "slope_mean": ("m/km", "mean catchment slope"),
    "area": ("km2", "catchment area"),
    "area_gages2": ("km2", "catchment area (GAGES-II estimate)"),
    "area_geospa_fabric": ("km2", "catchment area (geospatial fabric estimate)"),
    "forest_frac": ("-", "forest cover fraction"),
    "frac_forest": ("-", "forest cover fraction"),
    "lai_max": ("-", "maximum monthly mean leaf area index"),
    "lai_diff": ("-", "difference between max and min monthly mean leaf area index"),
    "gvf_max": ("-", "maximum monthly mean green vegetation fraction"),
    "gvf_diff": ("-", "difference between max and min monthly mean green vegetation fraction"),
    "dom_land_cover_frac": ("-", "fraction of the catchment under the dominant land cover"),
    "root_depth_50": ("m", "root depth above which 50 % of roots are"),
    "root_depth_99": ("m", "root depth above which 99 % of roots are"),
    "soil_depth_pelletier": ("m", "depth to bedrock (Pelletier)"),
    "soil_depth_statsgo": ("m", "soil depth (STATSGO)"),
    "soil_porosity": ("-", "volumetric soil porosity"),
    "soil_conductivity": ("cm/h", "saturated hydraulic conductivity"),
    "max_water_content": ("m", "maximum water content of the soil"),
    "sand_frac": ("%", "sand fraction of the soil"),
    "silt_frac": ("%", "silt fraction of the soil"),
    "clay_frac": ("%", "clay fraction of the soil"),
    "water_frac": ("%", "fraction of the top 1.5 m classified as water"),
    "organic_frac": ("%", "fraction of soil material classified as organic"),
    "other_frac": ("%", "fraction of soil material classified as other"),
    "glim_1st_class_frac": ("-", "fraction of the catchment in the dominant geologic class"),
    "glim_2nd_class_frac": ("-", "fraction of the catchment in the second geologic class"),
    "carbonate_rocks_frac": ("-", "fraction of the catchment on carbonate sedimentary rocks"),
    "geol_porostiy": ("-", "subsurface porosity (GLHYMPS; CAMELS spelling)"),
    "geol_permeability": ("log10(m2)", "subsurface permeability (GLHYMPS)"),
    "q_mean": ("mm/d", "mean daily discharge"),
    "runoff_ratio": ("-", "runoff ratio"),
    "baseflow_index": ("-", "baseflow index"),
}


def resolve_names(requested: NameSelection, known: Mapping[str, str], case_insensitive: bool = False) -> dict[str, str]:
    """``{source name: canonical name}`` of a selection.

    A mapping is taken as given. In a sequence each item may be a source name (renamed by
    ``known``), a canonical name that ``known`` produces (mapped back to its source name) or any
    other source name (kept as is). Names are compared case-insensitively where the source's own
    spelling varies (CAMELS-US forcing headers).
    """
    if isinstance(requested, Mapping):
        return dict(requested)
    key = str.lower if case_insensitive else (lambda s: s)
    forward = {key(src): canon for src, canon in known.items()}
    back = {canon: src for src, canon in known.items()}
    out: dict[str, str] = {}
    for name in requested:
        if key(name) in forward:
            out[name] = forward[key(name)]
        elif name in back:
            out[back[name]] = name
        else:
            out[name] = name
    canon = list(out.values())
    if len(set(canon)) != len(canon):
        raise SourceDataError(f"The selection {list(requested)} gives the canonical names {canon} more than once.")
    return out


def daily_axis(dates: Sequence[pd.DatetimeIndex], start: str | None, end: str | None) -> pd.DatetimeIndex:
    """Continuous daily axis: ``start``..``end`` where given, else the span of all ``dates``."""
    non_empty = [d for d in dates if len(d)]
    first = pd.Timestamp(start) if start is not None else min((d.min() for d in non_empty), default=None)
    last = pd.Timestamp(end) if end is not None else max((d.max() for d in non_empty), default=None)
    if first is None or last is None or last < first:
        raise SourceDataError(f"No dates to build a time axis from (start={start}, end={end}).")
    return pd.date_range(first.normalize(), last.normalize(), freq="D", name="time")


def place_on_axis(dates: pd.DatetimeIndex, values: np.ndarray, axis: pd.DatetimeIndex, where: str) -> np.ndarray:
    """(len(axis), n_vars) float32 array with ``values`` (rows dated by ``dates``) on the axis, NaN elsewhere."""
    if dates.has_duplicates:
        dup = dates[dates.duplicated()][:5].strftime("%Y-%m-%d").tolist()
        raise SourceDataError(f"{where} has duplicated dates (e.g. {dup}); each day must appear once.")
    pos = (dates.values.astype("datetime64[D]") - axis[0].to_datetime64().astype("datetime64[D]")).astype(np.int64)
    keep = (pos >= 0) & (pos < len(axis))
    out = np.full((len(axis), values.shape[1]), np.nan, dtype=np.float32)
    out[pos[keep]] = values[keep]
    return out


def numeric_attributes(table: pd.DataFrame, names: Mapping[str, str], where: str) -> dict[str, np.ndarray]:
    """float32 arrays of the selected attribute columns, erroring on absent or non-numeric ones."""
    require_columns(table.columns, list(names), where)
    out = {}
    for src, canon in names.items():
        col = table[src]
        if not pd.api.types.is_numeric_dtype(col):
            raise SourceDataError(
                f"Attribute {src!r} in {where} is not numeric (e.g. {col.dropna().iloc[0]!r}); static inputs must be"
                " numbers: drop it from the static selection."
            )
        out[canon] = col.to_numpy(dtype=np.float32)
    return out


def canonical_dataset(
    site: Sequence[str],
    time: pd.DatetimeIndex,
    dynamic: Mapping[str, np.ndarray],
    static: Mapping[str, np.ndarray],
    lat: np.ndarray,
    lon: np.ndarray,
    var_attrs: Mapping[str, tuple[str, str]],
    targets: Sequence[str] = (),
    extra_coords: Mapping[str, np.ndarray] | None = None,
    attrs: Mapping[str, object] | None = None,
    source: str = "dataset",
) -> xr.Dataset:
    """The canonical Dataset of (site, time) ``dynamic`` and (site) ``static`` float32 arrays.

    Names absent from ``var_attrs`` get ``units="unknown"``, so a missing entry is visible in
    the file rather than silently unitless.
    """

    def attrs_of(name: str) -> dict[str, str]:
        units, long_name = var_attrs.get(name, ("unknown", name))
        return {"units": units, "long_name": long_name}

    data_vars = {k: (("site", "time"), np.asarray(v, np.float32), attrs_of(k)) for k, v in dynamic.items()}
    data_vars |= {k: (("site",), np.asarray(v, np.float32), attrs_of(k)) for k, v in static.items()}
    n = len(site)
    empty = np.full(n, "", dtype=object)
    coords = {
        "site": ("site", np.asarray(list(site), dtype=object)),
        "time": ("time", time.values.astype("datetime64[ns]")),
        "lat": ("site", np.asarray(lat, np.float64), {"units": "degrees_north", "long_name": "gauge latitude"}),
        "lon": ("site", np.asarray(lon, np.float64), {"units": "degrees_east", "long_name": "gauge longitude"}),
        "eco_l1": ("site", empty.copy(), {"long_name": "EPA NA level-I ecoregion code"}),
        "eco_l2": ("site", empty.copy(), {"long_name": "EPA NA level-II ecoregion code"}),
        "eco_l3": ("site", empty.copy(), {"long_name": "EPA NA level-III ecoregion code"}),
    }
    coords |= {k: ("site", np.asarray(v, dtype=object)) for k, v in (extra_coords or {}).items()}
    ds = xr.Dataset(data_vars, coords=coords, attrs=dict(attrs or {}))
    dyn = [k for k in dynamic if k not in targets]
    return validate_canonical(ds, dynamic=dyn, static=list(static), targets=list(targets), source=source)
