"""smap_l3 on small SPL3SMP-like granules written with h5py, and the EASE-Grid 2.0 geometry."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from synergy_kedro.core.canonical import validate_canonical
from synergy_kedro.sources.smap_l3 import (
    EASE2_GRID_SHAPE,
    SmapL3Error,
    ease2_latlon,
    ease2_pixel_bounds,
    ease2_rowcol,
    read_smap_l3,
)

GROUP = "Soil_Moisture_Retrieval_Data_AM"
GRID = (3, 4)
FILL = -9999.0
# Cell centres of the small grid: rows 40, 39, 38 N; columns 100..97 W.
LAT = np.repeat(np.array([40.0, 39.0, 38.0])[:, None], 4, axis=1)
LON = np.repeat(np.array([-100.0, -99.0, -98.0, -97.0])[None, :], 3, axis=0)


def write_granule(path: Path, sm: np.ndarray, flag: np.ndarray, *, lat=LAT, lon=LON, skip: str | None = None,
                  group: str = GROUP, flag_fill: int = 65535) -> Path:
    """An SPL3SMP-like granule: the published group/dataset names, fill values and attributes."""
    retrieved = sm != FILL
    with h5py.File(path, "w") as f:
        g = f.create_group(group)
        rows, cols = np.indices(sm.shape)
        data = {
            "soil_moisture": (sm.astype(np.float32), {"_FillValue": np.float32(FILL), "units": "cm**3/cm**3",
                                                       "valid_min": np.float32(0.02), "valid_max": np.float32(0.5)}),
            "retrieval_qual_flag": (flag.astype(np.uint16), {"_FillValue": np.uint16(flag_fill)}),
            "latitude": (np.where(retrieved, lat, FILL).astype(np.float32), {"_FillValue": np.float32(FILL)}),
            "longitude": (np.where(retrieved, lon, FILL).astype(np.float32), {"_FillValue": np.float32(FILL)}),
            "EASE_row_index": (np.where(retrieved, rows, 65534).astype(np.uint16), {"_FillValue": np.uint16(65534)}),
            "EASE_column_index": (np.where(retrieved, cols, 65534).astype(np.uint16), {"_FillValue": np.uint16(65534)}),
        }
        for name, (values, attrs) in data.items():
            if name == skip:
                continue
            d = g.create_dataset(name, data=values, compression="gzip")
            for k, v in attrs.items():
                d.attrs[k] = v
    return path


def granule_name(day: str) -> str:
    return f"SMAP_L3_SM_P_{day}_R18290_001.h5"


@pytest.fixture()
def granules(tmp_path: Path) -> Path:
    """Three days (Apr 1, 2 and 4; Apr 3 missing) on a 3 × 4 grid.

    Cell (0, 3) is never retrieved (water); cell (2, 0) is outside the test bbox (lat 38 < 38.5).
    Day 1 exercises the masks: (0, 0) flag 1 (not recommended) → NaN, (0, 1) flag 8 → kept,
    (0, 2) flag 9 → NaN, (1, 0) value 0.6 > valid_max → NaN, (1, 1) flag 65535 and fill → NaN.
    """
    d = tmp_path / "granules"
    d.mkdir()
    base = np.array([[0.10, 0.11, 0.12, FILL], [0.20, 0.21, 0.22, 0.23], [0.30, 0.31, 0.32, 0.33]])
    sm1, flag1 = base.copy(), np.zeros(GRID)
    flag1[0, 0], flag1[0, 1], flag1[0, 2] = 1, 8, 9
    sm1[1, 0] = 0.6
    sm1[1, 1], flag1[1, 1] = FILL, 65535
    flag1[0, 3] = 65535
    write_granule(d / granule_name("20150401"), sm1, flag1)
    flag = np.where(base == FILL, 65535, 0)
    write_granule(d / granule_name("20150402"), base + 0.01 * (base != FILL), flag)
    sub = d / "2015.04.04"  # NSIDC's dated sub-folders are searched too
    sub.mkdir()
    write_granule(sub / granule_name("20150404"), base + 0.03 * (base != FILL), flag)
    return d


def test_masks_dates_and_layout(granules: Path):
    ds = read_smap_l3(granules, bbox=(38.5, 41.0, -101.0, -96.0), grid_shape=GRID)
    validate_canonical(ds, targets=["soil_moisture"], source="smap_l3")
    assert ds.soil_moisture.dims == ("site", "time") and ds.soil_moisture.dtype == np.float32
    assert [str(t)[:10] for t in ds.time.values] == ["2015-04-01", "2015-04-02", "2015-04-03", "2015-04-04"]
    # rows 0–1 are in the bbox; (0, 3) was never retrieved, so it is no site
    assert list(ds.site.values) == ["r000c000", "r000c001", "r000c002", "r001c000", "r001c001", "r001c002", "r001c003"]
    np.testing.assert_array_equal(ds.lat.values, [40, 40, 40, 39, 39, 39, 39])
    np.testing.assert_array_equal(ds.lon.values, [-100, -99, -98, -100, -99, -98, -97])
    sm = ds.soil_moisture.to_pandas()
    day1 = sm["2015-04-01"]
    assert np.isnan(day1["r000c000"])  # flag 1: bit 0 set
    assert day1["r000c001"] == pytest.approx(0.11)  # flag 8: recommended
    assert np.isnan(day1["r000c002"])  # flag 9: bit 0 set
    assert np.isnan(day1["r001c000"])  # 0.6 is outside valid_max 0.5
    assert np.isnan(day1["r001c001"])  # fill
    assert day1["r001c002"] == pytest.approx(0.22)
    assert sm["2015-04-03"].isna().all()  # missing day = gap
    np.testing.assert_allclose(sm["2015-04-02"].to_numpy(), [0.11, 0.12, 0.13, 0.21, 0.22, 0.23, 0.24], rtol=1e-6)
    np.testing.assert_allclose(sm["2015-04-04"].to_numpy(), [0.13, 0.14, 0.15, 0.23, 0.24, 0.25, 0.26], rtol=1e-6)
    assert ds.soil_moisture.attrs["units"] == "m3 m-3"


def test_pixels_period_and_order(granules: Path):
    ds = read_smap_l3(granules, pixels=[(2, 3), (0, 3), (0, 1)], start="2015-03-31", end="2015-04-02", grid_shape=GRID)
    assert list(ds.site.values) == ["r002c003", "r000c003", "r000c001"]
    assert list(ds.ease_row.values) == [2, 0, 0] and list(ds.ease_col.values) == [3, 3, 1]
    assert ds.sizes["time"] == 3  # Mar 31 (no granule), Apr 1, Apr 2; Apr 4 is outside the period
    np.testing.assert_allclose(ds.soil_moisture.values[0], [np.nan, 0.33, 0.34], rtol=1e-6)
    assert np.isnan(ds.soil_moisture.values[1]).all()  # never retrieved, but asked for
    assert np.isnan(ds.lat.values[1])  # no granule gave its coordinates on this non-standard grid


def test_flag_fill_value_is_never_recommended(tmp_path: Path):
    # an even fill value has bit 0 unset; it must still not count as recommended quality
    flag = np.zeros(GRID)
    flag[0, 0] = 65534
    path = write_granule(tmp_path / granule_name("20150401"), np.full(GRID, 0.2), flag, flag_fill=65534)
    ds = read_smap_l3([path], bbox=None, grid_shape=GRID)
    assert np.isnan(ds.soil_moisture.sel(site="r000c000").item())
    assert ds.soil_moisture.sel(site="r000c001").item() == pytest.approx(0.2)


def test_wrong_grid_names_the_file(granules: Path):
    bad = write_granule(granules / granule_name("20150405"), np.full((3, 5), 0.2), np.zeros((3, 5)),
                        lat=np.zeros((3, 5)), lon=np.zeros((3, 5)))
    with pytest.raises(SmapL3Error, match=rf"{bad.name}.*shape \(3, 5\), expected the grid \(3, 4\)"):
        read_smap_l3(granules, grid_shape=GRID)


@pytest.mark.parametrize("skip", ["soil_moisture", "retrieval_qual_flag", "latitude"])
def test_missing_dataset_names_the_file(granules: Path, skip: str):
    bad = write_granule(granules / granule_name("20150405"), np.full(GRID, 0.2), np.zeros(GRID), skip=skip)
    with pytest.raises(SmapL3Error, match=rf"{bad.name}: dataset {GROUP}/{skip} is missing"):
        read_smap_l3(granules, grid_shape=GRID)


def test_missing_group_names_the_file(granules: Path):
    bad = write_granule(granules / granule_name("20150405"), np.full(GRID, 0.2), np.zeros(GRID), group="Other")
    with pytest.raises(SmapL3Error, match=rf"{bad.name}: group '{GROUP}' is missing"):
        read_smap_l3(granules, grid_shape=GRID)


def test_corrupt_file_names_the_file(granules: Path):
    bad = granules / granule_name("20150405")
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00garbage" * 100)
    with pytest.raises(SmapL3Error, match=rf"{bad.name}: cannot be read as HDF5"):
        read_smap_l3(granules, grid_shape=GRID)
    # a truncated real granule
    good = (granules / granule_name("20150402")).read_bytes()
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(SmapL3Error, match=bad.name):
        read_smap_l3(granules, grid_shape=GRID)


def test_two_versions_of_one_day_and_undated_names(granules: Path, tmp_path: Path):
    write_granule(granules / "SMAP_L3_SM_P_20150401_R17000_001.h5", np.full(GRID, 0.2), np.zeros(GRID))
    with pytest.raises(SmapL3Error, match="Two granules for 2015-04-01"):
        read_smap_l3(granules, grid_shape=GRID)
    odd = write_granule(tmp_path / "SMAP_L3_SM_P_latest.h5", np.full(GRID, 0.2), np.zeros(GRID))
    with pytest.raises(SmapL3Error, match="SMAP_L3_SM_P_latest.h5: the file name has no date"):
        read_smap_l3([odd], grid_shape=GRID)


def test_pm_overpass_names(tmp_path: Path):
    path = tmp_path / granule_name("20150401")
    write_granule(path, np.full(GRID, 0.25), np.zeros(GRID), group="Soil_Moisture_Retrieval_Data_PM")
    with h5py.File(path, "a") as f:  # the PM group suffixes its dataset names with _pm
        g = f["Soil_Moisture_Retrieval_Data_PM"]
        for name in list(g):
            g.move(name, name + "_pm")
    ds = read_smap_l3([path], overpass="PM", bbox=None, grid_shape=GRID)
    assert ds.sizes == {"site": 12, "time": 1} and np.allclose(ds.soil_moisture.values, 0.25)


# --------------------------------------------------------------------------- EASE-Grid 2.0


def test_ease2_geometry():
    # NSIDC: the 36 km grid spans ±180° in 964 columns, and row 0's top edge is ~85.044 N.
    lat_top, lon_left = ease2_latlon(-0.5, -0.5)
    assert lon_left == pytest.approx(-180.0, abs=1e-9) and lat_top == pytest.approx(85.0445664, abs=1e-5)
    rows, cols = np.meshgrid(np.arange(0, 406, 7), np.arange(0, 964, 11), indexing="ij")
    lat, lon = ease2_latlon(rows, cols)
    r, c = ease2_rowcol(lat, lon)
    np.testing.assert_allclose(r, rows, atol=1e-6)
    np.testing.assert_allclose(c, cols, atol=1e-6)
    b = ease2_pixel_bounds([47, 47, 48], [151, 152, 151])
    assert list(b.site) == ["r047c151", "r047c152", "r048c151"]
    assert b.lon_max[0] == pytest.approx(b.lon_min[1]) and b.lat_min[0] == pytest.approx(b.lat_max[2])  # cells tile
    assert ((b.lat_min < b.lat) & (b.lat < b.lat_max) & (b.lon_min < b.lon) & (b.lon < b.lon_max)).all()
    np.testing.assert_allclose(b.lon_max - b.lon_min, 360 / 964)


def test_standard_grid_reads_the_conus_window(tmp_path: Path):
    """On the full (406, 964) grid, coordinates come from the EASE formulas and the CONUS bbox is cut."""
    sm = np.full(EASE2_GRID_SHAPE, FILL)
    sm[47, 151] = 0.3   # 49.87 N, 123.42 W: a hydroDL CONUSv4f1 pixel
    sm[100, 250] = 0.2  # inside CONUS
    sm[60, 500] = 0.25  # Europe: outside the bbox
    flag = np.where(sm == FILL, 65535, 0)
    lat, lon = ease2_latlon(*np.indices(EASE2_GRID_SHAPE))
    write_granule(tmp_path / granule_name("20150401"), sm, flag, lat=lat, lon=lon)
    ds = read_smap_l3(tmp_path)
    assert list(ds.site.values) == ["r047c151", "r100c250"]
    # hydroDL's crd.csv holds SMAP's float32 coordinates of this cell: equal to float32 resolution
    np.testing.assert_allclose(ds.lat.values[0], 49.8666114807, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ds.lon.values[0], -123.423233032, rtol=0, atol=1e-5)
    np.testing.assert_allclose(ds.soil_moisture.values[:, 0], [0.3, 0.2], rtol=1e-6)
