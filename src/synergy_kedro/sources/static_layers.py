"""Static pixel attributes (soil texture, NDVI, elevation, ...) → (site) float32 variables.

Two forms are accepted, because that is how such layers are usually at hand:

* a **gridded netCDF** on a regular lat/lon grid (e.g. a 1/8° NLDAS-grid soil map, or a
  0.25° NDVI climatology): each pixel gets the area-weighted mean of the grid cells whose centres
  fall in its footprint, NaN cells left out — the same rule and code as the NLDAS forcing
  (:func:`synergy_kedro.sources.nldas.pixel_weights`/:func:`~synergy_kedro.sources.nldas.area_mean`),
  so forcing and statics describe the same area. (GeoTIFFs: convert to netCDF first, e.g.
  ``gdal_translate -of netCDF``; this project does not depend on GDAL.)
* a **per-pixel csv table**: one row per site id, attributes selected by column name (never by
  position); ``missing_values`` (default −9999, hydroDL's code) become NaN.

Both return a Dataset on ``site`` only, to be merged into a (site, time) canonical Dataset with
``xr.merge`` / ``Dataset.update``; names are given as ``{source name: output name}`` or a list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.core.errors import UserError
from synergy_kedro.sources.nldas import area_mean, check_pixel_bounds, grid_dims, pixel_weights


class StaticLayerError(UserError, ValueError):
    """A static layer file lacks a variable, column or site, or is not on a lat/lon grid."""


def _names(selection: Mapping[str, str] | Sequence[str]) -> dict[str, str]:
    return dict(selection) if isinstance(selection, Mapping) else {n: n for n in selection}


def static_from_grid(
    source: Path | xr.Dataset,
    pixel_bounds: pd.DataFrame,
    variables: Mapping[str, str] | Sequence[str],
) -> xr.Dataset:
    """Area means per pixel of 2-D (lat, lon) layers of a netCDF file (or open Dataset).

    Args:
        source: netCDF path or Dataset with ``lat``/``lon`` (or ``latitude``/``longitude``)
            dimensions; fill values are decoded to NaN by xarray (``_FillValue``/``missing_value``).
            A layer may carry extra dimensions only of length 1 (e.g. ``time``, ``band``).
        pixel_bounds: ``site, lat_min, lat_max, lon_min, lon_max`` per pixel (see
            :func:`synergy_kedro.sources.nldas.pixel_weights`).
        variables: ``{layer name: output name}`` or a list of layer names kept as they are.

    Returns:
        Dataset (site) of float32 variables with the layer's ``units`` (``"unknown"`` if absent).
    """
    names = _names(variables)
    where = f"{source}" if not isinstance(source, xr.Dataset) else "the given Dataset"
    if isinstance(source, xr.Dataset):
        ds = source
    else:
        if not Path(source).is_file():
            raise StaticLayerError(f"{source} does not exist.")
        try:
            ds = xr.open_dataset(source)
        except (OSError, ValueError) as exc:
            raise StaticLayerError(f"{source} cannot be opened as netCDF ({exc}).") from exc
    missing = [v for v in names if v not in ds.data_vars]
    if missing:
        raise StaticLayerError(f"{where} lacks layer(s) {missing}; it has {sorted(ds.data_vars)}.")
    try:
        lat, lon = grid_dims(ds)
    except ValueError as exc:
        raise StaticLayerError(f"{where}: {exc}") from exc
    pb = check_pixel_bounds(pixel_bounds)
    weights = pixel_weights(ds[lat].values, ds[lon].values, pb)
    site = pb["site"].astype(str).to_numpy(dtype=object)
    out = {}
    for src, name in names.items():
        da = ds[src]
        extra = [d for d in da.dims if d not in (lat, lon)]
        if any(da.sizes[d] != 1 for d in extra) or lat not in da.dims or lon not in da.dims:
            raise StaticLayerError(f"{where}: layer {src} has dims {dict(da.sizes)}; a static layer must be 2-D ({lat}, {lon}).")
        da = da.squeeze(extra, drop=True).transpose(lat, lon)
        mean = area_mean(da, weights, site).compute()
        out[name] = mean.assign_attrs(units=da.attrs.get("units", "unknown"),
                                      long_name=f"{da.attrs.get('long_name', src)}, area mean over the pixel")
    ds_out = xr.Dataset(out)
    ds_out["n_cells"] = ("site", np.diff(weights.indptr).astype(np.int32), {"long_name": f"grid cells of {where} in the pixel"})
    return ds_out.set_coords("n_cells")


def static_from_table(
    path: Path,
    columns: Mapping[str, str] | Sequence[str],
    *,
    id_column: str = "site",
    sites: Sequence[str] | None = None,
    units: Mapping[str, str] | None = None,
    missing_values: Sequence[float] = (-9999.0,),
) -> xr.Dataset:
    """Selected numeric columns of a per-pixel csv table as (site) float32 variables.

    Args:
        path: csv with a header; ids are read as strings (leading zeros kept).
        columns: ``{column: output name}`` or a list of columns kept as they are.
        id_column: the site id column.
        sites: order/selection of sites; every one must be in the table (an error lists the
            absent ones). Default: all rows in file order.
        units: ``{output name: units}``; others get ``"unknown"`` (a csv carries no units).
        missing_values: codes read as NaN.

    Returns:
        Dataset (site) of float32 variables.
    """
    path = Path(path)
    names = _names(columns)
    if not path.is_file():
        raise StaticLayerError(f"{path} does not exist.")
    table = pd.read_csv(path, dtype={id_column: str})
    absent = [c for c in [id_column, *names] if c not in table.columns]
    if absent:
        raise StaticLayerError(f"{path} lacks column(s) {absent}; it has {list(table.columns)}.")
    ids = table[id_column].str.strip()
    if ids.duplicated().any():
        raise StaticLayerError(f"{path}: site id(s) repeated in {id_column!r}, e.g. {ids[ids.duplicated()].iloc[0]!r}.")
    table = table.set_index(ids)
    if sites is not None:
        wanted = pd.Index([str(s) for s in sites])
        lacking = wanted.difference(table.index)
        if len(lacking):
            raise StaticLayerError(f"{path} has no row for site(s) {list(lacking[:20])} ({len(lacking)} in all).")
        table = table.loc[wanted]
    out = {}
    for src, name in names.items():
        col = table[src]
        if not pd.api.types.is_numeric_dtype(col):
            raise StaticLayerError(f"{path}: column {src!r} is not numeric (e.g. {col.dropna().iloc[0]!r}).")
        values = col.to_numpy(dtype=np.float32)
        values[np.isin(values, np.asarray(missing_values, np.float32))] = np.nan
        out[name] = ("site", values, {"units": (units or {}).get(name, "unknown"), "long_name": f"{src} from {path.name}"})
    return xr.Dataset(out, coords={"site": ("site", table.index.to_numpy(dtype=object))})
