"""Your own tables: the same canonical Dataset as a published reader, and one clear error per bad table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro_datasets.partitions import PartitionedDataset

from synergy_kedro.datasets import SourceTableDataset
from synergy_kedro.sources.errors import SourceDataError
from synergy_kedro.sources.table import read_tables

DYNAMIC, STATIC, TARGET = ["prcp", "tmean", "pet"], ["area", "aridity", "frac_snow"], "streamflow"
BASINS = ["01022500", "01031500", "02046000", "06221400", "12010000"]


def caravan_as_tables(ds, folder):
    """The worked example's conversion (docs/your_data.md): a canonical Dataset → timeseries.csv + sites.csv."""
    long = ds[[*DYNAMIC, TARGET]].to_dataframe().reset_index()[["site", "time", *DYNAMIC, TARGET]]
    long = long.rename(columns={"time": "date"}).assign(date=lambda t: t["date"].dt.strftime("%Y-%m-%d"))
    sites = ds[STATIC].reset_coords()[["lat", "lon", *STATIC]].to_dataframe().reset_index()
    long.to_csv(folder / "timeseries.csv", index=False)
    sites.to_csv(folder / "sites.csv", index=False)
    return folder / "timeseries.csv", folder / "sites.csv"


@pytest.fixture(scope="module")
def caravan_five(caravan_root):
    from synergy_kedro.sources.caravan import read_caravan

    return read_caravan(caravan_root, basins=BASINS, dynamic=["total_precipitation_sum", "temperature_2m_mean",
                                                               "potential_evaporation_sum"],
                        static=["area", "aridity", "frac_snow"])


def _load(path):
    return SourceTableDataset(str(path)).load()


def test_the_tables_give_the_caravan_readers_dataset(caravan_five, tmp_path):
    ts, sites = caravan_as_tables(caravan_five, tmp_path)
    ds = read_tables(_load(ts), _load(sites), DYNAMIC, STATIC, TARGET, units={"prcp": "mm/d"})
    assert list(ds.site.values) == sorted(BASINS) == list(caravan_five.site.values)
    assert (ds.time.values == caravan_five.time.values).all()
    for name in [*DYNAMIC, TARGET, *STATIC, "lat", "lon"]:
        np.testing.assert_allclose(ds[name].values, caravan_five[name].values, rtol=1e-6, equal_nan=True,
                                   err_msg=name)
    assert int(ds[TARGET].isnull().sum()) == int(caravan_five[TARGET].isnull().sum()) > 0  # gaps stay gaps
    assert ds["prcp"].attrs["units"] == "mm/d" and ds["tmean"].attrs["units"] == "unknown"


def test_one_file_per_site_gives_the_same_dataset(caravan_five, tmp_path):
    ts, sites = caravan_as_tables(caravan_five, tmp_path)
    folder = tmp_path / "per_site"
    folder.mkdir()
    for site, rows in pd.read_csv(ts, dtype={"site": str}).groupby("site"):
        rows.drop(columns="site").to_csv(folder / f"{site}.csv", index=False)
    partitions = PartitionedDataset(path=str(folder), dataset={"type": "synergy_kedro.datasets.SourceTableDataset"},
                                    filename_suffix=".csv").load()
    ds = read_tables(partitions, _load(sites), DYNAMIC, STATIC, TARGET)
    np.testing.assert_allclose(ds[TARGET].values, caravan_five[TARGET].values, rtol=1e-6, equal_nan=True)


def _tables(tmp_path, rows, sites=None):
    ts = tmp_path / "values.csv"
    pd.DataFrame(rows, columns=["site", "date", "q", "p"]).to_csv(ts, index=False)
    st = tmp_path / "sites.csv"
    pd.DataFrame(sites or [("a", 40.0, -100.0, 1.0), ("b", 41.0, -101.0, 2.0)],
                 columns=["site", "lat", "lon", "area"]).to_csv(st, index=False)
    return _load(ts), _load(st)


GOOD = [("a", "2000-01-01", 1.0, 2.0), ("a", "2000-01-02", "", 2.5), ("b", "2000-01-01", 0.5, 1.0)]


@pytest.mark.parametrize("rows,expected", [
    ([*GOOD[:2], ("b", "01/02/2000", 1.0, 1.0)], "values.csv, line 4: date '01/02/2000' is not YYYY-MM-DD"),
    ([*GOOD, ("a", "2000-01-02", 1.0, 1.0)], "values.csv, line 5: site a has 2000-01-02 twice"),
    ([("a", "2000-01-02", 1.0, 2.0), ("a", "2000-01-01", 1.0, 2.0)], "values.csv, line 3: the dates of site a go backwards"),
    ([*GOOD, ("c", "2000-01-01", 1.0, 1.0)], "has values for site(s) not in the sites table: c"),
    ([*GOOD[:2], ("b", "2000-01-01", "n/a", 1.0)], "values.csv, line 4: q is 'n/a', not a number"),
    ([("a", "2000-02-30", 1.0, 2.0)], "values.csv, line 2: '2000-02-30' is not a calendar date"),
])
def test_each_bad_table_gives_one_line_naming_file_and_line(tmp_path, rows, expected):
    ts, st = _tables(tmp_path, rows)
    with pytest.raises(SourceDataError) as caught:
        read_tables(ts, st, ["p"], ["area"], "q")
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_a_missing_column_names_the_file_and_the_columns_it_has(tmp_path):
    ts, st = _tables(tmp_path, GOOD)
    with pytest.raises(SourceDataError, match=r"sites.csv lacks the column\(s\) \['slope'\]"):
        read_tables(ts, st, ["p"], ["slope"], "q")
    with pytest.raises(SourceDataError, match=r"values.csv lacks the column\(s\) \['tmax'\]"):
        read_tables(ts, st, ["p", "tmax"], ["area"], "q")


def test_empty_cells_stay_missing_and_sites_get_their_attributes(tmp_path):
    ts, st = _tables(tmp_path, GOOD)
    ds = read_tables(ts, st, ["p"], ["area"], "q")
    assert np.isnan(ds["q"].sel(site="a").values[1]) and ds["q"].sel(site="b").values[0] == 0.5
    assert np.isnan(ds["q"].sel(site="b").values[1])  # no row for b on the 2nd: missing, not filled
    assert ds["area"].values.tolist() == [1.0, 2.0] and ds["lat"].values.tolist() == [40.0, 41.0]
