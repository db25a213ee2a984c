"""static_layers: gridded netCDF → pixel area means; per-pixel csv tables selected by name."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from synergy_kedro.sources.static_layers import StaticLayerError, static_from_grid, static_from_table

LAT = 40.125 + 0.25 * np.arange(4)  # 0.25° grid: 40.125 .. 40.875 N
LON = -90.875 + 0.25 * np.arange(4)  # 90.875 .. 90.125 W
BOUNDS = pd.DataFrame({"site": ["r001c001", "r001c002"], "lat_min": [40.0, 40.5], "lat_max": [40.5, 41.0],
                       "lon_min": [-91.0, -90.5], "lon_max": [-90.5, -90.0]})


@pytest.fixture()
def grid_file(tmp_path: Path) -> Path:
    sand = np.arange(16, dtype=np.float32).reshape(4, 4)
    sand[0, 0] = -9999.0  # declared fill value → NaN when decoded
    ds = xr.Dataset(
        {"sand": (("lat", "lon"), sand, {"units": "%", "long_name": "sand fraction"}),
         "ndvi": (("band", "lat", "lon"), np.full((1, 4, 4), 0.4, np.float32)),  # a length-1 extra dim is allowed
         "lai": (("time", "lat", "lon"), np.zeros((2, 4, 4), np.float32))},
        coords={"lat": LAT, "lon": LON, "time": pd.date_range("2015-01-01", periods=2)},
    )
    path = tmp_path / "soil.nc"
    ds.to_netcdf(path, encoding={"sand": {"_FillValue": -9999.0}})
    return path


def test_grid_area_means_by_hand(grid_file: Path):
    out = static_from_grid(grid_file, BOUNDS, {"sand": "sand_pct", "ndvi": "NDVI"})
    assert list(out.site.values) == ["r001c001", "r001c002"] and out.sand_pct.dims == ("site",)
    w = np.cos(np.deg2rad(LAT))
    # pixel 1: rows 0–1, cols 0–1, cell (0, 0) is fill; pixel 2: rows 2–3, cols 2–3
    want1 = (w[0] * 1 + w[1] * (4 + 5)) / (w[0] + 2 * w[1])
    want2 = (w[2] * (10 + 11) + w[3] * (14 + 15)) / (2 * w[2] + 2 * w[3])
    np.testing.assert_allclose(out.sand_pct.values, [want1, want2], rtol=1e-6)
    np.testing.assert_allclose(out.NDVI.values, [0.4, 0.4], rtol=1e-6)
    assert out.sand_pct.dtype == np.float32 and out.sand_pct.attrs["units"] == "%"
    assert out.NDVI.attrs["units"] == "unknown"
    assert list(out.n_cells.values) == [4, 4]


def test_grid_errors(grid_file: Path):
    with pytest.raises(StaticLayerError, match=r"soil\.nc lacks layer\(s\) \['clay'\]"):
        static_from_grid(grid_file, BOUNDS, ["clay"])
    with pytest.raises(StaticLayerError, match=r"layer lai has dims .* must be 2-D"):
        static_from_grid(grid_file, BOUNDS, ["lai"])
    with pytest.raises(StaticLayerError, match="does not exist"):
        static_from_grid(grid_file.with_name("nope.nc"), BOUNDS, ["sand"])


@pytest.fixture()
def table(tmp_path: Path) -> Path:
    path = tmp_path / "pixels.csv"
    path.write_text("name,id,clay,sand,texture\nA,0047,10.5,40,loam\nB,0048,-9999,55.5,sand\nC,0049,30,20,clay\n")
    return path


def test_table_selects_by_name_and_masks_missing(table: Path):
    out = static_from_table(table, {"sand": "Sand", "clay": "Clay"}, id_column="id", sites=["0049", "0047", "0048"],
                            units={"Sand": "%"})
    assert list(out.site.values) == ["0049", "0047", "0048"]  # leading zeros kept, given order
    np.testing.assert_allclose(out.Sand.values, [20, 40, 55.5])
    np.testing.assert_allclose(out.Clay.values, [30, 10.5, np.nan])
    assert out.Sand.dtype == np.float32 and out.Sand.attrs["units"] == "%" and out.Clay.attrs["units"] == "unknown"
    assert list(static_from_table(table, ["sand"], id_column="id").site.values) == ["0047", "0048", "0049"]


def test_table_errors(table: Path):
    with pytest.raises(StaticLayerError, match=r"pixels\.csv lacks column\(s\) \['silt'\]"):
        static_from_table(table, ["silt"], id_column="id")
    with pytest.raises(StaticLayerError, match=r"no row for site\(s\) \['0050'\]"):
        static_from_table(table, ["sand"], id_column="id", sites=["0047", "0050"])
    with pytest.raises(StaticLayerError, match="'texture' is not numeric"):
        static_from_table(table, ["texture"], id_column="id")
    with pytest.raises(StaticLayerError, match=r"lacks column\(s\) \['site'\]"):
        static_from_table(table, ["sand"])
