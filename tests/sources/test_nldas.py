"""nldas: daily sums/means and pixel area means against hand computation, numpy and dask inputs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from synergy_kedro.core.canonical import validate_canonical
from synergy_kedro.sources.nldas import NldasError, aggregate_nldas_to_pixels, pixel_weights
from synergy_kedro.sources.smap_l3 import ease2_cells_in_bbox, ease2_pixel_bounds

# A 1/8° grid of 8 × 8 cells: centres 30.0625 .. 30.9375 N, 100.9375 .. 100.0625 W.
LAT = 30.0625 + 0.125 * np.arange(8)
LON = -100.9375 + 0.125 * np.arange(8)
# Hourly from 2020-01-01 01:00 (day 1 lacks its 00Z hour) to 2020-01-03 23:00.
TIME = pd.date_range("2020-01-01 01:00", "2020-01-03 23:00", freq="h")


def field(i: np.ndarray, j: np.ndarray) -> np.ndarray:
    return 0.5 * i + 0.1 * j


def nldas_like() -> xr.Dataset:
    """APCP = hour-of-day + f(cell) [kg m-2 per hour]; TMP = 270 + 2·day + f(cell) [K]; one water cell NaN."""
    hour = TIME.hour.to_numpy()[:, None, None]
    day = (TIME.day.to_numpy() - 1)[:, None, None]
    f = field(*np.indices((8, 8)))[None]
    apcp = (hour + f).astype(np.float32)
    tmp = (270.0 + 2 * day + f + 0 * hour).astype(np.float32)
    apcp[:, 0, 0] = np.nan  # water: masked in every hour
    tmp[:, 0, 0] = np.nan
    return xr.Dataset(
        {"APCP": (("time", "lat", "lon"), apcp, {"units": "kg m-2"}), "TMP": (("time", "lat", "lon"), tmp, {"units": "K"})},
        coords={"time": TIME, "lat": LAT, "lon": LON},
    )


# Pixel a: lat rows 0–3 × lon cols 0–3 (holds the NaN cell); b: rows 4–7 × cols 2–4; c: no cell centre.
BOUNDS = pd.DataFrame({
    "site": ["a", "b", "c"],
    "lat_min": [30.0, 30.5, 30.01], "lat_max": [30.5, 31.0, 30.05],
    "lon_min": [-101.0, -100.75, -101.0], "lon_max": [-100.5, -100.375, -100.5],
})


def hand_area_mean(values: np.ndarray, rows: range, cols: range) -> float:
    """cos(lat)-weighted mean of the non-NaN cells, written as plain loops."""
    num = den = 0.0
    for i in rows:
        for j in cols:
            v = values[i, j]
            if not np.isnan(v):
                w = np.cos(np.deg2rad(LAT[i]))
                num += w * v
                den += w
    return num / den


def expected() -> dict[str, np.ndarray]:
    """Hand-computed daily pixel values (site × day) for days 2 and 3 (day 1 is incomplete)."""
    f = field(*np.indices((8, 8))).astype(float)
    f[0, 0] = np.nan
    out = {"APCP": np.full((3, 2), np.nan), "TMP": np.full((3, 2), np.nan)}
    for s, (rows, cols) in enumerate([(range(0, 4), range(0, 4)), (range(4, 8), range(2, 5))]):
        mean_f = hand_area_mean(f, rows, cols)
        for k, day in enumerate((1, 2)):  # day index 1 = Jan 2
            out["APCP"][s, k] = sum(h + mean_f for h in range(24))  # daily total
            out["TMP"][s, k] = 270.0 + 2 * day + mean_f  # daily mean
    return out


def test_daily_sum_mean_and_area_mean_by_hand():
    ds = aggregate_nldas_to_pixels(nldas_like(), BOUNDS, {"APCP": "APCP", "TMP": "TMP"})
    validate_canonical(ds, dynamic=["APCP", "TMP"], source="nldas")
    assert [str(t)[:10] for t in ds.time.values] == ["2020-01-01", "2020-01-02", "2020-01-03"]
    assert list(ds.site.values) == ["a", "b", "c"] and list(ds.n_cells.values) == [16, 12, 0]
    want = expected()
    for v in ("APCP", "TMP"):
        assert ds[v].dims == ("site", "time") and ds[v].dtype == np.float32
        assert np.isnan(ds[v].values[:, 0]).all()  # Jan 1 has 23 of 24 hours
        assert np.isnan(ds[v].values[2]).all()  # pixel c holds no cell centre
        np.testing.assert_allclose(ds[v].values[:2, 1:], want[v][:2], rtol=1e-6)
    assert ds.APCP.attrs["units"] == "kg m-2 d-1" and ds.APCP.attrs["daily_aggregation"] == "sum"
    assert ds.TMP.attrs["units"] == "K" and ds.TMP.attrs["daily_aggregation"] == "mean"
    np.testing.assert_allclose(ds.lat.values, [30.25, 30.75, 30.03])


def test_weights_are_cos_lat_and_cells_on_shared_edges_count_once():
    # two pixels sharing the edge at 30.3125 N, which is exactly a cell centre (row 2)
    pb = pd.DataFrame({"site": ["s", "n"], "lat_min": [30.0, 30.3125], "lat_max": [30.3125, 31.0],
                       "lon_min": [-101.0, -101.0], "lon_max": [-100.0, -100.0]})
    w = pixel_weights(LAT, LON, pb).toarray().reshape(2, 8, 8)
    assert (w[0, :2] > 0).all() and (w[0, 2:] == 0).all()
    assert (w[1, 2:] > 0).all() and (w[1, :2] == 0).all()
    np.testing.assert_allclose(w[1, 5, 3], np.cos(np.deg2rad(LAT[5])))
    # descending latitudes and 0..360 longitudes give the same cells
    w2 = pixel_weights(LAT[::-1], LON + 360.0, pb).toarray().reshape(2, 8, 8)[:, ::-1]
    np.testing.assert_allclose(w2, w)


def test_dask_backed_files_match_in_memory(tmp_path: Path):
    ds = nldas_like()
    files = []
    for k, (_, part) in enumerate(ds.groupby(ds.time.dt.day)):
        files.append(tmp_path / f"NLDAS_FORA0125_H.{k}.nc")
        part.to_netcdf(files[-1])
    lazy = aggregate_nldas_to_pixels(files, BOUNDS, {"APCP": "precip_total", "TMP": "TMP"}, chunks={"time": 7}, compute=False)
    assert lazy.precip_total.chunks is not None  # built lazily from dask chunks
    eager = aggregate_nldas_to_pixels(ds, BOUNDS, {"APCP": "APCP", "TMP": "TMP"})
    np.testing.assert_allclose(lazy.precip_total.values, eager.APCP.values, rtol=1e-6)
    np.testing.assert_allclose(lazy.TMP.values, eager.TMP.values, rtol=1e-6)
    chunked = aggregate_nldas_to_pixels(ds.chunk({"time": 5, "lat": 3}), BOUNDS, {"TMP": "TMP"})
    np.testing.assert_allclose(chunked.TMP.values, eager.TMP.values, rtol=1e-6)


def test_daily_input_and_how_override():
    days = pd.date_range("2020-01-01", periods=3, freq="D")
    vals = np.arange(3, dtype=np.float32)[:, None, None] + np.zeros((1, 8, 8), np.float32)
    ds = xr.Dataset({"APCP": (("time", "lat", "lon"), vals)}, coords={"time": days, "lat": LAT, "lon": LON})
    out = aggregate_nldas_to_pixels(ds, BOUNDS.iloc[:2], {"APCP": "APCP"})
    np.testing.assert_allclose(out.APCP.values, [[0, 1, 2], [0, 1, 2]])  # one step per day: the sum is the value
    hourly = nldas_like()
    mean = aggregate_nldas_to_pixels(hourly, BOUNDS.iloc[:2], {"APCP": "APCP"}, how={"APCP": "mean"})
    total = aggregate_nldas_to_pixels(hourly, BOUNDS.iloc[:2], {"APCP": "APCP"})
    np.testing.assert_allclose(total.APCP.values[:, 1:], 24 * mean.APCP.values[:, 1:], rtol=1e-6)


def test_time_shift_moves_hours_between_days():
    # end-of-interval stamps 01:00..24:00: shifted by -1 h, Jan 1 becomes complete only if it starts at 00:00
    ds = nldas_like()
    out = aggregate_nldas_to_pixels(ds, BOUNDS.iloc[:1], {"TMP": "TMP"}, time_shift="-1h")
    assert np.isfinite(out.TMP.values[0, 0])  # Jan 1 00:00..23:00 after the shift
    assert np.isnan(out.TMP.values[0, -1])  # Jan 3 now has 23 hours


def test_errors():
    ds = nldas_like()
    with pytest.raises(NldasError, match=r"lacks variable\(s\) \['SPFH'\]"):
        aggregate_nldas_to_pixels(ds, BOUNDS, {"SPFH": "SPFH"})
    with pytest.raises(NldasError, match=r"pixel_bounds lacks column\(s\) \['lon_max'\]"):
        aggregate_nldas_to_pixels(ds, BOUNDS.drop(columns="lon_max"), {"TMP": "TMP"})
    with pytest.raises(NldasError, match="do not exist"):
        aggregate_nldas_to_pixels([Path("/nonexistent/NLDAS.nc")], BOUNDS, {"TMP": "TMP"})
    with pytest.raises(NldasError, match="duplicated or not increasing"):
        aggregate_nldas_to_pixels(xr.concat([ds, ds], "time"), BOUNDS, {"TMP": "TMP"})


def test_ease_pixels_tile_the_nldas_grid():
    lat = 25.0625 + 0.125 * np.arange(224)
    lon = -124.9375 + 0.125 * np.arange(464)
    rows, cols = ease2_cells_in_bbox((30.0, 45.0, -115.0, -75.0))
    pb = ease2_pixel_bounds(rows, cols)
    w = pixel_weights(lat, lon, pb)
    per_pixel = np.diff(w.indptr)
    assert per_pixel.min() >= 4 and per_pixel.max() <= 12  # a 36 km cell holds 2–3 × 2–3 cells of 1/8°
    assert (np.bincount(w.indices, minlength=w.shape[1]) <= 1).all()  # no cell in two pixels


def test_missing_cell_in_one_hour_is_left_out_of_that_hour_only():
    ds = nldas_like()
    tmp = ds.TMP.values.copy()
    hour = 30  # Jan 2, 07:00 (the series starts at Jan 1 01:00)
    tmp[hour, 5, 3] = np.nan  # a cell of pixel b
    ds["TMP"] = (("time", "lat", "lon"), tmp)
    out = aggregate_nldas_to_pixels(ds, BOUNDS.iloc[:2], {"TMP": "TMP"})
    f = field(*np.indices((8, 8))).astype(float)
    full = hand_area_mean(f, range(4, 8), range(2, 5))
    f[5, 3] = np.nan
    without = hand_area_mean(f, range(4, 8), range(2, 5))
    want = 270.0 + 2 + (23 * full + without) / 24
    assert out.TMP.values[1, 1] == pytest.approx(want, rel=1e-6)
    assert out.TMP.values[1, 2] == pytest.approx(270.0 + 4 + full, rel=1e-6)
