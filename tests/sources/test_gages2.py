"""GAGES-II tables: zero-padded ids, join with Caravan's CAMELS sites, region columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from synergy_kedro.regions.membership import column_labels
from synergy_kedro.sources import SourceDataError, attach_gages2, read_gages2
from synergy_kedro.sources.gages2 import read_gages2_table

AGGECOREGIONS = {"NorthEast", "SECstPlain", "SEPlains", "EastHghlnds", "CntlPlains", "MxWdShld", "WestMnts", "WestPlains", "WestXeric"}


@pytest.fixture(scope="module")
def gages2(shared_data: Path):
    return read_gages2(shared_data / "gages2")


def test_ids_are_zero_padded_text(gages2, shared_data):
    assert len(gages2) == 9067 and gages2.index.is_unique
    assert (gages2.index.str.len() >= 8).all() and gages2.index.str.isdigit().all()
    first = (shared_data / "gages2" / "gagesII_sept30_2011_conterm_BasinID.csv").read_text().splitlines()[1]
    assert first.startswith("01011000,") and gages2.index[0] == "01011000"
    assert gages2.loc["01013500", "HUC02"] == "01" and gages2.loc["01013500", "CLASS"] == "Ref"
    assert set(gages2["HUC02"]) >= {"01", "10L", "10U", "18"}


def test_ids_padded_where_a_spreadsheet_dropped_the_zero(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("STAID,DRAIN_SQKM\n1013500,2252.7\n14400000,702.6\n")
    table = read_gages2_table(path)
    assert list(table.index) == ["01013500", "14400000"]


def test_join_with_caravan_sites(caravan_camels, gages2, caravan_root):
    ds = attach_gages2(caravan_camels, gages2)
    agg = ds["AGGECOREGION"].values
    assert ds["AGGECOREGION"].dims == ("site",) and all(a != "" for a in agg)
    assert set(agg) <= AGGECOREGIONS and len(set(agg)) >= 8
    assert ds["DRAIN_SQKM"].dtype == np.float32 and ds["DRAIN_SQKM"].attrs["units"] == "km2"
    # CAMELS area_gages2 is GAGES-II DRAIN_SQKM
    np.testing.assert_allclose(ds["DRAIN_SQKM"].values, ds["area"].values, rtol=1e-3)
    # GAGES-II HUC02 agrees with CAMELS huc_02 (written without the zero in Caravan's name table;
    # GAGES-II splits region 10 into 10U/10L)
    names = (caravan_root / "attributes" / "camels" / "attributes_camels_name.csv").read_text().splitlines()[1:]
    huc_of = {line.split(",")[0].removeprefix("camels_"): line.split(",")[1].zfill(2) for line in names}
    assert [huc_of[s] for s in ds["site"].values] == [h[:2] for h in ds["HUC02"].values]
    assert {"10U", "10L"} <= set(ds["HUC02"].values)
    assert set(ds["CLASS"].values) <= {"Ref", "Non-ref"}


def test_column_scheme_on_gages2_labels(caravan_camels, gages2):
    ds = attach_gages2(caravan_camels, gages2, columns=("AGGECOREGION",))
    labels = column_labels(ds, "AGGECOREGION")
    assert labels.tolist() == [str(v) for v in ds["AGGECOREGION"].values]
    assert labels.index.tolist() == list(ds["site"].values)


def test_absent_sites_columns_and_tables_are_named(caravan_camels, gages2, shared_data):
    few = caravan_camels.isel(site=slice(0, 3))
    few = few.assign_coords(site=["01022500", "99999990", "99999991"])
    with pytest.raises(SourceDataError, match=r"2 site\(s\).*'99999990', '99999991'"):
        attach_gages2(few, gages2)
    with pytest.raises(SourceDataError, match="PPTAVG_BASIN"):
        attach_gages2(caravan_camels, gages2, columns=("AGGECOREGION", "PPTAVG_BASIN"))
    with pytest.raises(SourceDataError, match="Climate.*does not exist"):
        read_gages2(shared_data / "gages2", tables=("BasinID", "Climate"))
