"""Your own data as plain tables: daily values per site, and a table of sites with their attributes.

Most users hold their data as tables, not in a published layout: one long table (``site``,
``date``, a column per variable) or one file per site (``date`` and the variables; the site is
the file's name), plus a sites table (``site``, ``lat``, ``lon``, static attributes, optionally a
region label). The catalog reads them with kedro-datasets' pandas datasets (csv or parquet,
:class:`synergy_kedro.datasets.SourceTableDataset` adds the file's path for messages); this module
checks them and builds the canonical (site, time) Dataset. Every fault a table can have is an
error that names the file, the line or site and the fix: dates must be ISO (``YYYY-MM-DD``), a
site's dates may not repeat nor go backwards, every site of the values must be in the sites
table, values must be numbers; an empty cell is missing and stays missing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from synergy_kedro.sources.assemble import canonical_dataset, daily_axis, place_on_axis
from synergy_kedro.sources.errors import SourceDataError, require_columns, require_unique_ids

ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
#: A per-site file as the catalog's PartitionedDataset gives it: the table, or a function loading it.
SiteTable = pd.DataFrame | Callable[[], pd.DataFrame]


def read_tables(timeseries: pd.DataFrame | Mapping[str, SiteTable], sites: pd.DataFrame, dynamic: Sequence[str],
                static: Sequence[str], target: str, units: Mapping[str, str] | None = None,
                label_column: str | None = None) -> xr.Dataset:
    """The canonical Dataset of a long table (or per-site tables) and a sites table."""
    sites_where = _where(sites, "table_sites")
    require_columns(sites.columns, ["site", "lat", "lon", *static, *([label_column] if label_column else [])],
                    sites_where)
    ids = sites["site"].astype(str).str.strip()
    require_unique_ids(ids, sites_where, "site")
    per_site = _per_site(timeseries, [*dynamic, target], set(ids))
    known = sites.assign(site=ids).set_index("site")
    order = sorted(per_site)
    time = daily_axis([dates for dates, _, _ in per_site.values()], None, None)
    values = np.stack([place_on_axis(dates, block, time, f"{where} (site {site})")
                       for site in order for dates, block, where in [per_site[site]]])
    dyn = {name: values[:, :, i] for i, name in enumerate([*dynamic, target])}
    table = known.loc[order]
    statics = {name: _numbers(table[name], name, sites_where, table.index) for name in static}
    attrs = {name: ((units or {}).get(name, "unknown"), name) for name in [*dynamic, target, *static]}
    extra = {label_column: table[label_column].astype(str).to_numpy()} if label_column else None
    return canonical_dataset(order, time, dyn, statics, _numbers(table["lat"], "lat", sites_where, table.index),
                             _numbers(table["lon"], "lon", sites_where, table.index), attrs, targets=[target],
                             extra_coords=extra, attrs={"source": "table"}, source=f"tables ({sites_where})")


def _where(table: pd.DataFrame, name: str) -> str:
    return str(table.attrs.get("filepath") or name)


def _per_site(timeseries: pd.DataFrame | Mapping[str, SiteTable], variables: Sequence[str],
              known: set[str]) -> dict[str, tuple[pd.DatetimeIndex, np.ndarray, str]]:
    """site → (dates, values (day, variable), the file they came from), every check applied."""
    if isinstance(timeseries, Mapping):
        parts = {str(site): (load() if callable(load) else load) for site, load in timeseries.items()}
        out = {site: _site_block(table, variables, _where(table, f"table_timeseries/{site}"), site)
               for site, table in parts.items()}
    else:
        where = _where(timeseries, "table_timeseries")
        require_columns(timeseries.columns, ["site", "date", *variables], where)
        sites = timeseries["site"].astype(str).str.strip()
        out = {site: _site_block(rows, variables, where, site)
               for site, rows in timeseries.assign(site=sites).groupby("site", sort=True)}
        if not out:
            raise SourceDataError(f"{where} has no rows.")
    unknown = sorted(set(out) - known)
    if unknown:
        raise SourceDataError(f"{_where_of(timeseries)} has values for site(s) not in the sites table: "
                              f"{', '.join(unknown[:20])}. Add them to the sites table or remove their rows.")
    return out


def _where_of(timeseries: pd.DataFrame | Mapping[str, SiteTable]) -> str:
    return "table_timeseries" if isinstance(timeseries, Mapping) else _where(timeseries, "table_timeseries")


def _site_block(rows: pd.DataFrame, variables: Sequence[str], where: str,
                site: str) -> tuple[pd.DatetimeIndex, np.ndarray, str]:
    require_columns(rows.columns, ["date", *variables], where)
    text = rows["date"].astype(str).str.strip()
    bad = ~text.str.match(ISO_DATE)
    if bad.any():
        line = _line(rows, bad)
        raise SourceDataError(f"{where}, line {line}: date {text[bad].iloc[0]!r} is not YYYY-MM-DD (ISO 8601); "
                              "write dates as e.g. 2001-03-31.")
    dates = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    if dates.isna().any():
        raise SourceDataError(f"{where}, line {_line(rows, dates.isna())}: {text[dates.isna()].iloc[0]!r} is not a "
                              "calendar date.")
    repeated = dates.duplicated()
    if repeated.any():
        raise SourceDataError(f"{where}, line {_line(rows, repeated)}: site {site} has {dates[repeated].iloc[0].date()} "
                              "twice; keep one row per site and day.")
    backwards = dates.diff() < pd.Timedelta(0)
    if backwards.any():
        raise SourceDataError(f"{where}, line {_line(rows, backwards)}: the dates of site {site} go backwards "
                              f"({dates[backwards].iloc[0].date()} after a later day); sort the rows by site and date.")
    block = np.column_stack([_numbers(rows[name], name, where, rows.index) for name in variables])
    return pd.DatetimeIndex(dates), block, where


def _line(rows: pd.DataFrame, mask: pd.Series) -> int:
    """The file's line of the first flagged row (the header is line 1; rows keep their file order in the index)."""
    return int(np.asarray(rows.index)[np.asarray(mask)][0]) + 2


def _numbers(column: pd.Series, name: str, where: str, index: pd.Index) -> np.ndarray:
    """float32 values of a column; an empty cell is NaN, any other text is an error naming its line."""
    values = pd.to_numeric(column, errors="coerce")
    text = column.astype(str).str.strip()
    bad = values.isna() & column.notna() & (text != "")
    if bad.any():
        position = int(np.flatnonzero(np.asarray(bad))[0])
        label = index[position]
        at = f"line {int(label) + 2}" if isinstance(label, (int, np.integer)) else f"site {label}"
        raise SourceDataError(f"{where}, {at}: {name} is {column.iloc[position]!r}, not a number; leave the cell "
                              "empty where the value is missing.")
    return values.to_numpy(dtype=np.float32)
