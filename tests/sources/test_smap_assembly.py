"""SMAP L3 pixels + NLDAS-2 forcing + statics → one (site, time) Dataset on the periods' days, checked for gaps."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from synergy_kedro.core.canonical import CanonicalDatasetError
from synergy_kedro.sources.smap_assembly import assemble_smap_l3
from synergy_kedro.sources.smap_l3 import ease2_cells_in_bbox, ease2_latlon, ease2_site_ids
from tests.parameter_blocks import block

BBOX = (30.0, 31.5, -101.0, -99.0)
PERIODS = {"train": ["2020-01-01", "2020-01-03"], "test": ["2020-01-04", "2020-01-05"]}
DAYS = pd.date_range("2020-01-01", "2020-01-05", name="time")
HOURS = pd.date_range("2020-01-01", "2020-01-05 23:00", freq="h")
# NLDAS 1/8° cell centres covering BBOX with a margin, up to -98.5 E
NLDAS_LAT = np.arange(29.0625, 32.5, 0.125)
NLDAS_LON = np.arange(-101.9375, -98.5, 0.125)


FEATURES = block("features", dynamic=["prcp", "tmean"], static=["clay"])
INGESTION = {"source": "smap", "smap": {}, "nldas": {"variables": {"APCP": "prcp", "TMP": "tmean"}}}


def granules(bbox=BBOX, shift_lat: float = 0.0) -> xr.Dataset:
    """read_smap_l3's layout: every 36 km cell of ``bbox``, observed on alternate days of 2019-12-31..2020-01-06."""
    rows, cols = ease2_cells_in_bbox(bbox)
    lat, lon = ease2_latlon(rows, cols)
    time = pd.date_range("2019-12-31", "2020-01-06", name="time")
    sm = np.random.default_rng(0).uniform(0.05, 0.4, (len(rows), len(time))).astype(np.float32)
    sm[:, 1::2] = np.nan
    n = len(rows)
    return xr.Dataset({"soil_moisture": (("site", "time"), sm)}, coords={
        "site": ease2_site_ids(rows, cols), "time": time, "lat": ("site", lat + shift_lat), "lon": ("site", lon),
        "ease_row": ("site", rows.astype(np.int32)), "ease_col": ("site", cols.astype(np.int32)),
        **{c: ("site", np.full(n, "", dtype=object)) for c in ("eco_l1", "eco_l2", "eco_l3")}},
        attrs={"quality": "recommended"})


def forcing(hours=HOURS) -> xr.Dataset:
    """APCP = day of month (kg m-2 per hour, the same everywhere); TMP = 270 K + lon (a west-east gradient)."""
    shape = (len(hours), len(NLDAS_LAT), len(NLDAS_LON))
    apcp = np.broadcast_to(hours.day.to_numpy()[:, None, None], shape).astype(np.float32)
    tmp = np.broadcast_to(270.0 + NLDAS_LON[None, None, :], shape).astype(np.float32)
    return xr.Dataset({"APCP": (("time", "lat", "lon"), apcp, {"units": "kg m-2"}),
                       "TMP": (("time", "lat", "lon"), tmp, {"units": "K"})},
                      coords={"time": hours, "lat": NLDAS_LAT, "lon": NLDAS_LON})


def grid_statics() -> xr.Dataset:
    return xr.Dataset({"clay": (("lat", "lon"), np.broadcast_to(NLDAS_LAT[:, None], (len(NLDAS_LAT), len(NLDAS_LON))))},
                      coords={"lat": NLDAS_LAT, "lon": NLDAS_LON})


def assemble(smap=None, nldas=None, statics=None, ingestion=INGESTION, periods=PERIODS):
    return assemble_smap_l3(granules() if smap is None else smap, forcing() if nldas is None else nldas,
                            grid_statics() if statics is None else statics, ingestion, FEATURES, "soil_moisture", periods)


@pytest.fixture(scope="module")
def assembled():
    return assemble()


def test_every_pixel_of_the_bbox_on_every_day_of_the_periods(assembled):
    smap = granules()
    assert list(assembled["site"].values) == list(smap["site"].values)
    pd.testing.assert_index_equal(pd.DatetimeIndex(assembled["time"].values), DAYS, check_names=False)
    expected = smap["soil_moisture"].sel(time=slice("2020-01-01", "2020-01-05")).values
    np.testing.assert_array_equal(assembled["soil_moisture"].values, expected)  # gaps stay gaps
    assert assembled.attrs["source"] == "smap" and assembled.attrs["quality"] == "recommended"


def test_forcing_is_the_daily_sum_or_mean_over_each_pixels_cells(assembled):
    # APCP, the same in every cell, summed over the 24 hours of day d: 24 d.
    expected_prcp = np.broadcast_to(24.0 * DAYS.day.to_numpy(), (assembled.sizes["site"], len(DAYS)))
    np.testing.assert_allclose(assembled["prcp"].values, expected_prcp)
    # TMP linear in lon, averaged over a cell symmetric about the pixel centre: about 270 + the centre's lon,
    # within the 1/8° of the NLDAS cells' spacing.
    tmean = assembled["tmean"].values
    assert np.allclose(tmean, tmean[:, :1])  # constant in time
    np.testing.assert_allclose(tmean[:, 0], 270.0 + assembled["lon"].values, atol=0.0625)
    assert (assembled["nldas_cells"].values >= 4).all()  # a 36 km pixel holds several 1/8° cells


def test_gridded_statics_are_area_means_per_pixel(assembled):
    np.testing.assert_allclose(assembled["clay"].values, assembled["lat"].values, atol=0.0625)
    assert assembled["clay"].dims == ("site",)


def test_bbox_and_stride_select_the_pixels_as_hydrodl_thins_the_grid():
    smap = granules()
    ingestion = {**INGESTION, "smap": {"bbox": [30.5, 31.5, -100.5, -99.0], "pixel_stride": 2, "pixel_offset": 1}}
    ds = assemble(smap=smap, ingestion=ingestion)
    rows, cols, lat, lon = (smap[c].values for c in ("ease_row", "ease_col", "lat", "lon"))
    keep = ((lat >= 30.5) & (lat <= 31.5) & (lon >= -100.5) & (lon <= -99.0)
            & ((rows - 1) % 2 == 0) & ((cols - 1) % 2 == 0))
    assert 0 < keep.sum() < len(keep)
    assert list(ds["site"].values) == list(smap["site"].values[keep])


def test_a_selection_that_leaves_no_pixel_is_an_error_naming_the_settings():
    ingestion = {**INGESTION, "smap": {"bbox": [45.0, 46.0, -80.0, -79.0]}}
    with pytest.raises(CanonicalDatasetError, match=r"none of the \d+ SMAP pixels is left after ingestion.smap"):
        assemble(ingestion=ingestion)


def test_pixels_outside_the_forcing_are_dropped_and_named(caplog):
    smap = granules(bbox=(30.0, 31.5, -101.0, -98.0))  # the east column lies beyond NLDAS_LON
    with caplog.at_level(logging.WARNING):
        ds = assemble(smap=smap)
    outside = smap["lon"].values - 0.2 > NLDAS_LON[-1]
    assert outside.any() and list(ds["site"].values) == list(smap["site"].values[~outside])
    assert f"{outside.sum()} of {len(outside)} pixels have no NLDAS-2 forcing" in caplog.text
    assert not np.isnan(ds["prcp"].values).any()


def test_a_day_of_the_periods_without_forcing_is_an_error_naming_it():
    hours = HOURS[HOURS.day != 4]  # no forcing on 2020-01-04
    with pytest.raises(CanonicalDatasetError, match=r"NLDAS-2 forcing is missing on 1 day\(s\) of the periods, e.g. 2020-01-04"):
        assemble(nldas=forcing(hours))


def test_a_test_period_without_smap_observations_is_an_error():
    smap = granules()
    smap["soil_moisture"].loc[{"time": slice("2020-01-04", "2020-01-05")}] = np.nan
    with pytest.raises(CanonicalDatasetError, match=r"no SMAP observation in the test period \['2020-01-04', '2020-01-05'\]"):
        assemble(smap=smap)


def test_cells_off_the_ease_grid_are_refused():
    with pytest.raises(CanonicalDatasetError, match="do not match the EASE-Grid 2.0 36 km grid"):
        assemble(smap=granules(shift_lat=0.1))


def test_a_static_table_is_joined_on_pixel_ids_and_a_missing_row_is_nan(caplog):
    smap = granules()
    sites = list(smap["site"].values)
    table = xr.Dataset({"clay": ("site", np.arange(len(sites) - 1, dtype=float)[::-1])},
                       coords={"site": sites[:0:-1]})  # reversed order, first pixel absent
    with caplog.at_level(logging.WARNING):
        ds = assemble(smap=smap, statics=table)
    assert np.isnan(ds["clay"].values[0])
    np.testing.assert_array_equal(ds["clay"].values[1:], np.arange(len(sites) - 1, dtype=float))
    assert f"1 pixel(s) have no row in the static table; their statics are NaN: ['{sites[0]}']" in caplog.text


def test_a_static_table_of_other_ids_is_refused():
    table = xr.Dataset({"clay": ("site", [1.0, 2.0])}, coords={"site": ["basin1", "basin2"]})
    with pytest.raises(CanonicalDatasetError, match="no pixel id is in the static table"):
        assemble(statics=table)
