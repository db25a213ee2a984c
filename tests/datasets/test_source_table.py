"""A user's table loads with its ids and dates as text, empty cells missing, and its path kept for messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, DatasetError

from synergy_kedro.datasets.source_table import SourceTableDataset

CSV = "site,date,q,area\n01022500,2000-01-01,1.5,10\nNA,2000-01-02,,20\n00123,01/02/2000,2.0,\n"


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "timeseries.csv"
    path.write_text(CSV)
    return path


def test_site_ids_and_dates_stay_text_and_only_an_empty_cell_is_missing(csv_path):
    table = SourceTableDataset(str(csv_path)).load()
    assert table["site"].tolist() == ["01022500", "NA", "00123"]  # leading zeros kept; "NA" is a site's name
    assert table["date"].tolist() == ["2000-01-01", "2000-01-02", "01/02/2000"]  # not parsed, so not guessed
    assert table["q"].dtype == float and np.isnan(table["q"][1]) and np.isnan(table["area"][2])
    assert table.attrs["filepath"] == str(csv_path)


def test_the_users_load_args_win_over_the_defaults(csv_path):
    table = SourceTableDataset(str(csv_path), load_args={"dtype": {"site": str}, "keep_default_na": True,
                                                         "na_values": None}).load()
    assert pd.isna(table["site"][1])  # pandas' own NA rules, because the user asked for them
    assert table["date"].dtype == object


def test_a_parquet_table_loads_the_same_way(tmp_path):
    path = tmp_path / "sites.parquet"
    frame = pd.DataFrame({"site": ["01022500", "NA"], "lat": [44.6, 41.0]})
    frame.to_parquet(path)
    catalog = DataCatalog.from_config({"sites": {"type": "synergy_kedro.datasets.SourceTableDataset",
                                                 "filepath": str(path), "format": "parquet"}})
    table = catalog.load("sites")
    pd.testing.assert_frame_equal(table, frame)
    assert table.attrs["filepath"] == str(path)


def test_an_unknown_format_is_refused_naming_the_choices(tmp_path):
    with pytest.raises(DatasetError, match=r"format 'xlsx' is not one of \['csv', 'parquet'\]"):
        SourceTableDataset(str(tmp_path / "t.xlsx"), format="xlsx")


def test_a_users_table_is_read_only(csv_path):
    dataset = SourceTableDataset(str(csv_path))
    with pytest.raises(DatasetError, match="raw input and read-only"):
        dataset.save(pd.DataFrame({"site": ["x"]}))
    assert csv_path.read_text() == CSV
    assert dataset.exists() and not SourceTableDataset(str(csv_path.with_name("none.csv"))).exists()
