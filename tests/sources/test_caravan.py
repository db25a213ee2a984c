"""Caravan reader on the real 482 CAMELS basins: size, dates, gaps, names, formats, errors."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from synergy_kedro.core.canonical import validate_canonical
from synergy_kedro.sources import SourceDataError, read_caravan


def raw_rows(path: Path) -> list[dict[str, str]]:
    """A Caravan CSV read by hand with the csv module (independent of the reader)."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_all_482_basins_on_the_full_daily_axis(caravan_camels):
    ds = caravan_camels
    assert ds.sizes == {"site": 482, "time": 12418}
    assert ds["time"].values[0] == np.datetime64("1981-01-01") and ds["time"].values[-1] == np.datetime64("2014-12-31")
    assert (np.diff(ds["time"].values) == np.timedelta64(1, "D")).all()
    assert set(ds.data_vars) == {"prcp", "tmean", "pet", "streamflow", "area", "p_mean", "pet_mean", "aridity", "frac_snow"}
    assert all(ds[v].dtype == np.float32 for v in ds.data_vars)
    assert ds["streamflow"].attrs["units"] == "mm/d" and ds["tmean"].attrs["units"] == "degC" and ds["area"].attrs["units"] == "km2"
    validate_canonical(ds, dynamic=["prcp", "tmean", "pet"], static=["area"], targets=["streamflow"])


def test_site_ids_are_usgs_ids_with_gauge_id_kept(caravan_camels):
    sites = caravan_camels["site"].values
    assert all(len(s) == 8 and s.isdigit() for s in sites)
    assert "01022500" in sites
    assert list(caravan_camels["gauge_id"].values) == [f"camels_{s}" for s in sites]


def test_missing_streamflow_fraction_matches_readme(caravan_camels):
    frac = caravan_camels["streamflow"].isnull().mean("time").values
    assert 0.001 <= float(np.median(frac)) <= 0.01  # README: median 0.4 % per basin
    assert caravan_camels["prcp"].notnull().all()  # ERA5-Land forcing has no gaps


def test_values_and_empty_cells_match_the_raw_file(caravan_root, caravan_camels):
    rows = raw_rows(caravan_root / "timeseries" / "csv" / "camels" / "camels_01022500.csv")
    q = caravan_camels["streamflow"].sel(site="01022500").values
    empty = [i for i, r in enumerate(rows) if r["streamflow"] == ""]
    assert empty and np.isnan(q[empty]).all()
    assert int(np.isnan(q).sum()) == len(empty)
    full = [i for i, r in enumerate(rows) if r["streamflow"] != ""]
    np.testing.assert_allclose(q[full], [float(rows[i]["streamflow"]) for i in full], rtol=1e-6)
    assert rows[0]["date"] == "1981-01-01"
    assert float(caravan_camels["prcp"].sel(site="01022500", time="1981-01-02")) == pytest.approx(float(rows[1]["total_precipitation_sum"]))


def test_coordinates_from_attributes_other(caravan_camels):
    assert float(caravan_camels["lat"].sel(site="01022500")) == pytest.approx(44.60797)
    assert float(caravan_camels["lon"].sel(site="01022500")) == pytest.approx(-67.93524)
    assert float(caravan_camels["area"].sel(site="01022500")) == pytest.approx(573.6)


@pytest.fixture
def small_caravan(caravan_root: Path, tmp_path: Path) -> Path:
    """Two basins whose CSVs have shuffled columns and extra ERA5-Land-like columns."""
    root = tmp_path / "Caravan"
    shutil.copytree(caravan_root / "attributes", root / "attributes")
    out = root / "timeseries" / "csv" / "camels"
    out.mkdir(parents=True)
    for gauge in ("camels_01022500", "camels_14400000"):
        table = pd.read_csv(caravan_root / "timeseries" / "csv" / "camels" / f"{gauge}.csv", dtype=str, keep_default_na=False)
        table["surface_pressure_mean"] = "101.3"
        table["snow_depth_water_equivalent_mean"] = ""
        table = table[["streamflow", "surface_pressure_mean", "temperature_2m_mean", "date",
                       "snow_depth_water_equivalent_mean", "potential_evaporation_sum", "total_precipitation_sum"]]
        table.to_csv(out / f"{gauge}.csv", index=False)
    return root


def test_shuffled_and_extra_columns_are_selected_by_name(small_caravan, caravan_camels):
    ds = read_caravan(small_caravan.parent)  # the Caravan/ child is found
    assert list(ds["site"].values) == ["01022500", "14400000"]
    for name in ("prcp", "tmean", "pet", "streamflow"):
        np.testing.assert_array_equal(ds[name].values, caravan_camels[name].sel(site=ds["site"]).values)
    extra = read_caravan(small_caravan, basins=["camels_14400000"], dynamic=("surface_pressure_mean", "snow_depth_water_equivalent_mean"))
    assert float(extra["surface_pressure_mean"].max()) == pytest.approx(101.3) and extra["surface_pressure_mean"].attrs["units"] == "kPa"
    assert extra["snow_depth_water_equivalent_mean"].isnull().all()


def test_absent_column_names_file_and_column(small_caravan):
    with pytest.raises(SourceDataError, match=r"camels_01022500\.csv.*'temperature_2m_max'"):
        read_caravan(small_caravan, dynamic=("total_precipitation_sum", "temperature_2m_max"))
    path = small_caravan / "timeseries" / "csv" / "camels" / "camels_14400000.csv"
    pd.read_csv(path).drop(columns="streamflow").to_csv(path, index=False)
    with pytest.raises(SourceDataError, match=r"camels_14400000\.csv.*'streamflow'"):
        read_caravan(small_caravan)


def test_basin_selection_with_or_without_prefix_and_missing_basin(small_caravan):
    a = read_caravan(small_caravan, basins=["14400000"])
    b = read_caravan(small_caravan, basins=["camels_14400000"])
    xr.testing.assert_identical(a, b)
    with pytest.raises(SourceDataError, match="camels_09999999"):
        read_caravan(small_caravan, basins=["09999999"])


def test_netcdf_variant_equals_csv(small_caravan, caravan_camels):
    nc = small_caravan / "timeseries" / "netcdf" / "camels"
    nc.mkdir(parents=True)
    for path in (small_caravan / "timeseries" / "csv" / "camels").glob("*.csv"):
        table = pd.read_csv(path, parse_dates=["date"]).set_index("date")
        xr.Dataset.from_dataframe(table).to_netcdf(nc / f"{path.stem}.nc")
    ds = read_caravan(small_caravan, fmt="netcdf", start="1990-01-01", end="1990-12-31")
    assert ds.sizes == {"site": 2, "time": 365}
    for name in ("prcp", "streamflow"):
        np.testing.assert_array_equal(ds[name].values, caravan_camels[name].sel(site=ds["site"], time=ds["time"]).values)


def test_static_selection_and_errors(caravan_root):
    ds = read_caravan(
        caravan_root, basins=["01022500"], static=("elev_mean", "frac_forest", "sand_frac"), start="2000-01-01", end="2000-01-31"
    )
    assert {"elevation", "forest_frac", "sand_frac"} <= set(ds.data_vars) and ds.sizes["time"] == 31
    assert float(ds["elevation"][0]) == pytest.approx(92.68)
    with pytest.raises(SourceDataError, match="not numeric"):
        read_caravan(caravan_root, basins=["01022500"], static=("gauge_name",))
    with pytest.raises(SourceDataError, match="'hydroatlas_thing'"):
        read_caravan(caravan_root, basins=["01022500"], static=("hydroatlas_thing",))


def test_wrong_root_and_source_are_clear(caravan_root, tmp_path):
    with pytest.raises(SourceDataError, match="not a Caravan folder"):
        read_caravan(tmp_path)
    with pytest.raises(SourceDataError, match=r"'camelsgb'.*Available sources: \['camels'\]"):
        read_caravan(caravan_root, source="camelsgb")


def test_duplicate_ids_in_an_attribute_table_are_named(small_caravan):
    path = next((small_caravan / "attributes" / "camels").glob("attributes_other_*.csv"))
    table = pd.read_csv(path, dtype=str)
    pd.concat([table, table.iloc[[3, 7]]]).to_csv(path, index=False)
    ids = sorted(table["gauge_id"].iloc[[3, 7]])
    with pytest.raises(SourceDataError, match=rf"{path.name} lists gauge_id {ids[0]}, {ids[1]} more than once"):
        read_caravan(small_caravan)


@pytest.fixture
def tiny_caravan(tmp_path: Path) -> Path:
    """Two basins of 10 days in Caravan's layout, written here (no shared data needed)."""
    root = tmp_path / "Caravan"
    series = root / "timeseries" / "csv" / "camels"
    attributes = root / "attributes" / "camels"
    series.mkdir(parents=True)
    attributes.mkdir(parents=True)
    dates = pd.date_range("2000-01-01", periods=10, freq="D").strftime("%Y-%m-%d")
    for i, gauge in enumerate(("camels_01000001", "camels_01000002")):
        pd.DataFrame({"date": dates, "total_precipitation_sum": 1.0 + i, "temperature_2m_mean": 5.0,
                      "potential_evaporation_sum": 2.0, "streamflow": 0.5}).to_csv(series / f"{gauge}.csv", index=False)
    (attributes / "attributes_other_camels.csv").write_text(
        "gauge_id,gauge_name,gauge_lat,gauge_lon,area\n"
        "camels_01000001,Alpha River,44.6,-67.9,500\n"
        "camels_01000002,Beta Creek,37.1,-78.9,300\n")
    (attributes / "attributes_caravan_camels.csv").write_text(
        "gauge_id,p_mean,pet_mean,aridity,frac_snow\ncamels_01000001,3,2,0.7,0.1\ncamels_01000002,4,2,0.5,0.0\n")
    return root


def test_a_non_utf8_attributes_file_is_named_with_its_line(tiny_caravan):
    assert read_caravan(tiny_caravan).sizes == {"site": 2, "time": 10}
    path = tiny_caravan / "attributes" / "camels" / "attributes_other_camels.csv"
    path.write_bytes(path.read_bytes().replace(b"Beta Creek", "Bêta Creek".encode("latin-1")))  # a spreadsheet's save
    with pytest.raises(SourceDataError) as caught:
        read_caravan(tiny_caravan)
    assert str(caught.value) == (
        f"{path}: line 3 has byte 0xea, which is not UTF-8 text (the file was saved in another encoding, e.g. "
        "Latin-1 or Windows-1252 by a spreadsheet). Save it as UTF-8 (CSV UTF-8) and run again.")
    path.write_bytes(path.read_bytes().replace("Bêta".encode("latin-1"), b"Beta"))
    series = tiny_caravan / "timeseries" / "csv" / "camels" / "camels_01000002.csv"
    lines = series.read_bytes().split(b"\n")
    lines[4] = lines[4].replace(b"2000-01-04", "2000-01-04\u00a0".encode("cp1252"))  # a no-break space in a date
    series.write_bytes(b"\n".join(lines))
    with pytest.raises(SourceDataError, match=rf"{series.name}: line 5 has byte 0xa0, which is not UTF-8 text"):
        read_caravan(tiny_caravan)


def test_day_first_dates_are_refused_naming_the_expected_format(tiny_caravan):
    path = tiny_caravan / "timeseries" / "csv" / "camels" / "camels_01000002.csv"
    table = pd.read_csv(path, dtype=str)
    table["date"] = pd.to_datetime(table["date"]).dt.strftime("%d/%m/%Y")  # 01/01/2000 … 10/01/2000
    table.to_csv(path, index=False)
    # read month first, 02/01/2000 would silently be 1 February: the reader must not guess
    with pytest.raises(SourceDataError, match=rf"{path.name}: column 'date' must hold ISO dates YYYY-MM-DD \(as "
                                              r"Caravan writes them: 1981-01-01\), but line 2 has '01/01/2000'"):
        read_caravan(tiny_caravan)
