"""CAMELS-US reader on the real 4-basin sample: units, missing values, dates, names, errors."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synergy_kedro.core.canonical import validate_canonical
from synergy_kedro.sources import SourceDataError, read_camels_us

BASINS = ["01022500", "01547700", "02064000", "03015500"]


@pytest.fixture(scope="module")
def sample(shared_data: Path) -> Path:
    return shared_data / "camels_us_sample"


@pytest.fixture(scope="module")
def daymet(sample: Path):
    return read_camels_us(sample, dynamic=("prcp", "srad", "tmax", "tmin", "vp", "dayl", "swe", "tmean"))


def raw_line(path: Path, date: str, first: int) -> list[str]:
    """Whitespace fields of the line of ``date`` (YYYY-MM-DD) in a CAMELS file, read by hand.

    The date is fields ``first``..``first+2`` (0 in forcing files, 1 in streamflow files).
    """
    wanted = [int(x) for x in date.split("-")]
    for line in path.read_text().splitlines()[1:]:
        fields = line.split()
        if len(fields) > first + 3 and fields[first].isdigit() and [int(f) for f in fields[first:first + 3]] == wanted:
            return fields
    raise AssertionError(f"{date} not in {path}")


def topo_area(sample: Path, basin: str) -> float:
    """area_gages2 [km²] of ``basin`` read by hand from camels_topo.txt."""
    lines = (sample / "camels_attributes_v2.0" / "camels_topo.txt").read_text().splitlines()
    header = lines[0].split(";")
    row = next(line.split(";") for line in lines[1:] if line.split(";")[0] == basin)
    return float(row[header.index("area_gages2")])


@pytest.mark.parametrize(
    ("basin", "date"), [("01022500", "2000-01-05"), ("01547700", "2001-07-15"), ("02064000", "2002-02-28"), ("03015500", "2000-01-04")]
)
def test_streamflow_cfs_converted_to_mm_per_day_with_area_gages2(sample, daymet, basin, date):
    fields = raw_line(sample / "usgs_streamflow" / f"{basin}_streamflow_qc.txt", date, first=1)
    q_cfs, area_km2 = float(fields[4]), topo_area(sample, basin)
    expected = q_cfs * 0.0283168 * 86400 / (area_km2 * 1e6) * 1000
    got = float(daymet["streamflow"].sel(site=basin, time=date))
    assert got == pytest.approx(expected, rel=1e-6)


def test_streamflow_hand_computed_value(daymet):
    # 01022500 on 2000-01-01: 255 cfs over area_gages2 = 573.6 km²
    # 255 × 0.0283168 × 86400 / 573.6e6 × 1000 = 1.08766 mm/d
    assert float(daymet["streamflow"].sel(site="01022500", time="2000-01-01")) == pytest.approx(1.08766, abs=1e-4)


def test_forcing_header_area_is_an_alternative(sample):
    ds = read_camels_us(sample, basins=["01022500"], area="forcing_header")
    # header line 3: 587675987 m²
    expected = 255 * 0.0283168 * 86400 / 587675987 * 1000
    assert float(ds["streamflow"].sel(site="01022500", time="2000-01-01")) == pytest.approx(expected, rel=1e-6)


def test_dates_shapes_and_layout(daymet):
    assert list(daymet["site"].values) == BASINS
    # 01022500's daymet file runs to 2003, the others and all streamflow to 2002
    assert daymet.sizes == {"site": 4, "time": 1461}
    assert daymet["time"].values[0] == np.datetime64("2000-01-01") and daymet["time"].values[-1] == np.datetime64("2003-12-31")
    assert (np.diff(daymet["time"].values) == np.timedelta64(1, "D")).all()
    assert daymet["time"].dtype == np.dtype("datetime64[ns]")
    assert daymet["streamflow"].sel(time="2003").isnull().all()
    assert daymet["prcp"].sel(site="01547700", time="2003").isnull().all()
    assert daymet["prcp"].sel(site="01022500", time="2003").notnull().all()
    assert not daymet["streamflow"].sel(time=slice("2000", "2002")).isnull().any()
    for name in ("prcp", "streamflow", "area", "aridity"):
        assert daymet[name].dtype == np.float32 and daymet[name].attrs["units"]
    assert daymet["streamflow"].attrs["units"] == "mm/d"
    assert daymet["lat"].dtype == np.float64
    assert float(daymet["lat"].sel(site="01022500")) == pytest.approx(44.60797)
    assert float(daymet["area"].sel(site="01022500")) == pytest.approx(573.6)
    assert set(daymet["eco_l3"].values) == {""}
    validate_canonical(daymet, dynamic=["prcp", "tmean"], static=["area"], targets=["streamflow"])


def test_start_end_clip_the_axis(sample):
    ds = read_camels_us(sample, start="2001-01-01", end="2001-12-31")
    assert ds.sizes["time"] == 365 and str(ds["time"].values[0])[:10] == "2001-01-01"


def test_forcing_columns_by_name_and_units(sample, daymet):
    fields = raw_line(sample / "basin_mean_forcing" / "daymet" / "01022500_lump_cida_forcing_leap.txt", "2000-01-01", first=0)
    dayl, prcp, srad, swe, tmax, tmin, vp = map(float, fields[4:11])
    day = daymet.sel(site="01022500", time="2000-01-01")
    assert float(day["dayl"]) == pytest.approx(dayl)
    assert float(day["srad"]) == pytest.approx(srad)
    assert float(day["tmax"]) == pytest.approx(tmax) and float(day["tmin"]) == pytest.approx(tmin)
    assert float(day["tmean"]) == pytest.approx((tmax + tmin) / 2)
    assert float(day["vp"]) == pytest.approx(vp / 100) and daymet["vp"].attrs["units"] == "hPa"
    assert float(day["swe"]) == pytest.approx(swe)


def test_capitalised_maurer_headers_and_mapping(sample):
    ds = read_camels_us(sample, forcing="maurer", dynamic={"PRCP(mm/day)": "precip", "Tmax(C)": "tx"}, static=())
    fields = raw_line(sample / "basin_mean_forcing" / "maurer" / "02064000_lump_maurer_forcing_leap.txt", "2001-03-10", first=0)
    assert float(ds["precip"].sel(site="02064000", time="2001-03-10")) == pytest.approx(float(fields[5]))
    assert float(ds["tx"].sel(site="02064000", time="2001-03-10")) == pytest.approx(float(fields[8]))
    assert set(ds.data_vars) == {"precip", "tx", "streamflow"}


def copy_basin(sample: Path, dest: Path, basin: str, nested: bool = False) -> Path:
    """A one-basin CAMELS-US tree in ``dest`` (optionally with the published ``<huc>/`` sub-folders)."""
    sub = "01" if nested else ""
    for src, rel in (
        (next((sample / "basin_mean_forcing" / "daymet").glob(f"{basin}_*")), Path("basin_mean_forcing/daymet") / sub),
        (sample / "usgs_streamflow" / f"{basin}_streamflow_qc.txt", Path("usgs_streamflow") / sub),
    ):
        (dest / rel).mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dest / rel / src.name)
    shutil.copytree(sample / "camels_attributes_v2.0", dest / "camels_attributes_v2.0")
    return dest


def test_missing_streamflow_conventions(sample, tmp_path):
    root = copy_basin(sample, tmp_path, "01547700")
    path = root / "usgs_streamflow" / "01547700_streamflow_qc.txt"
    lines = path.read_text().splitlines()
    edits = {
        "2000 01 10": "01547700 2000 01 10  -999.00 M",  # published form of a gap
        "2000 01 11": "01547700 2000 01 11    30.00 M",  # flag M with a value: still missing
        "2000 01 12": "01547700 2000 01 12  -999.00 A",  # -999 whatever the flag
    }
    lines = [next((new for key, new in edits.items() if line[9:19] == key), line) for line in lines]
    path.write_text("\n".join(lines) + "\n")
    q = read_camels_us(root)["streamflow"].sel(site="01547700")
    assert q.sel(time=slice("2000-01-10", "2000-01-12")).isnull().all()
    assert int(q.isnull().sum()) == 3
    assert q.sel(time="2000-01-09").notnull() and q.sel(time="2000-01-13").notnull()


def test_usgs_qualifier_codes_in_the_value_column_are_missing_and_other_text_names_the_line(sample, tmp_path, caplog):
    root = copy_basin(sample, tmp_path, "01547700")
    path = root / "usgs_streamflow" / "01547700_streamflow_qc.txt"
    lines = path.read_text().splitlines()
    edits = {"2000 01 10": "01547700 2000 01 10      Ice A", "2000 01 11": "01547700 2000 01 11      Eqp A"}
    lines = [next((new for key, new in edits.items() if line[9:19] == key), line) for line in lines]
    path.write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.INFO, logger="synergy_kedro.sources.camels_us"):
        q = read_camels_us(root)["streamflow"].sel(site="01547700")
    assert q.sel(time=slice("2000-01-10", "2000-01-11")).isnull().all()
    assert int(q.isnull().sum()) == 2
    assert "2 days hold a USGS qualifier code" in caplog.text and "Eqp ×1" in caplog.text
    line = next(i for i, text in enumerate(lines) if text[9:19] == "2000 01 12")
    lines[line] = "01547700 2000 01 12     12,5 A"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(SourceDataError, match=rf"01547700_streamflow_qc.txt line {line + 1}: discharge '12,5' is neither"):
        read_camels_us(root)


def test_shuffled_forcing_columns_are_read_by_name(sample, tmp_path, daymet):
    root = copy_basin(sample, tmp_path, "01022500")
    path = next((root / "basin_mean_forcing" / "daymet").glob("*.txt"))
    head = path.read_text().splitlines()[:3]
    table = pd.read_csv(path, sep=r"\s+", skiprows=3)
    shuffled = table[["Year", "Mnth", "Day", "Hr", "vp(Pa)", "tmax(C)", "prcp(mm/day)", "tmin(C)", "swe(mm)", "srad(W/m2)", "dayl(s)"]]
    path.write_text("\n".join(head) + "\n" + shuffled.to_csv(sep="\t", index=False))
    ds = read_camels_us(root, dynamic=("prcp", "tmax", "vp"))
    for name in ("prcp", "tmax", "vp"):
        np.testing.assert_array_equal(ds[name].sel(site="01022500").values, daymet[name].sel(site="01022500").values)


def test_files_found_in_huc_subfolders(sample, tmp_path, daymet):
    ds = read_camels_us(copy_basin(sample, tmp_path, "02064000", nested=True))
    np.testing.assert_array_equal(ds["streamflow"].values[0], daymet["streamflow"].sel(site="02064000", time=ds["time"]).values)


def test_missing_basin_is_named(sample):
    with pytest.raises(SourceDataError, match="09999999"):
        read_camels_us(sample, basins=["01022500", "09999999"])


def test_missing_folder_and_forcing_are_clear(sample, tmp_path):
    with pytest.raises(SourceDataError, match="does not exist"):
        read_camels_us(tmp_path / "nowhere")
    with pytest.raises(SourceDataError, match=r"'daymet_v4'.*Available: \['daymet', 'maurer'"):
        read_camels_us(sample, forcing="daymet_v4")
    with pytest.raises(SourceDataError, match="basin_mean_forcing"):
        read_camels_us(tmp_path)


def test_unknown_forcing_column_names_file_and_column(sample):
    with pytest.raises(SourceDataError, match=r"01022500_lump_cida_forcing_leap\.txt.*'rain\(mm\)'"):
        read_camels_us(sample, basins=["01022500"], dynamic=("prcp", "rain(mm)"))


def test_static_selection_by_name(sample):
    ds = read_camels_us(sample, basins=["03015500"], static=("area", "elev_mean", "geol_permeability"))
    assert {"area", "elevation", "geol_permeability"} <= set(ds.data_vars)
    with pytest.raises(SourceDataError, match="not numeric"):
        read_camels_us(sample, basins=["03015500"], static=("dom_land_cover",))
    with pytest.raises(SourceDataError, match="no_such_attr"):
        read_camels_us(sample, basins=["03015500"], static=("no_such_attr",))


def test_a_streamflow_file_holding_another_basins_id_is_named(sample, tmp_path):
    root = copy_basin(sample, tmp_path, "01547700")
    path = root / "usgs_streamflow" / "01547700_streamflow_qc.txt"
    path.write_text(path.read_text().replace("01547700 ", "01022500 "))  # another basin's file copied over it
    with pytest.raises(SourceDataError, match=r"01547700_streamflow_qc\.txt holds gauge_id 01022500, not the 01547700"):
        read_camels_us(root)


def test_duplicate_ids_in_an_attribute_table_are_named(sample, tmp_path):
    root = copy_basin(sample, tmp_path, "01547700")
    path = root / "camels_attributes_v2.0" / "camels_topo.txt"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines, lines[1]]) + "\n")
    with pytest.raises(SourceDataError, match=rf"camels_topo\.txt lists gauge_id {lines[1].split(';')[0]} more than once"):
        read_camels_us(root)
