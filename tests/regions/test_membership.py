"""Region membership: EPA polygons for points and basins, column schemes, the ``region`` coordinate."""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from shapely.geometry import Point, box

from synergy_kedro.regions.hierarchy import subregion_of
from synergy_kedro.regions.membership import (
    assign_epa_regions,
    column_labels,
    epa_membership_from_basins,
    epa_membership_from_points,
    read_ecoregion_polygons,
)
from synergy_kedro.sources import SourceDataError

# CAMELS gauges (attributes_other_camels.csv coordinates) and the EPA level-III region they lie in:
# the Maine coast, the Virginia Piedmont and the Black Hills (part of the Middle Rockies; note
# 6.2.10 must not become 6.2.1).
KNOWN = {
    "01022500": (44.60797, -67.93524, "8.1.8", "Acadian Plains and Hills"),
    "02064000": (37.12681, -78.95974, "8.3.4", "Piedmont"),
    "06431500": (44.48248, -103.86159, "6.2.10", "Middle Rockies"),
}


@pytest.fixture(scope="module")
def polygons(ecoregions_path: Path) -> gpd.GeoDataFrame:
    return read_ecoregion_polygons(ecoregions_path)


def test_known_gauges_by_point_in_polygon(polygons):
    lat = pd.Series({k: v[0] for k, v in KNOWN.items()})
    lon = pd.Series({k: v[1] for k, v in KNOWN.items()})
    got = epa_membership_from_points(lat, lon, polygons)
    assert list(got.index) == list(KNOWN)
    for site, (la, lo, l3, name) in KNOWN.items():
        # independent check: the one polygon whose shape contains the point
        containing = polygons[[geom.contains(Point(lo, la)) for geom in polygons.geometry]]
        assert list(containing["NA_L3CODE"]) == [l3] and list(containing["US_L3NAME"]) == [name]
        assert tuple(got.loc[site]) == (l3.split(".")[0], ".".join(l3.split(".")[:2]), l3)


def test_points_in_canada_or_the_ocean_get_empty_codes(polygons):
    got = epa_membership_from_points([50.0, 38.0, 44.60797], [-100.0, -65.0, -67.93524], polygons)
    assert got.loc[0].tolist() == ["", "", ""] and got.loc[1].tolist() == ["", "", ""]
    assert got.loc[2, "eco_l3"] == "8.1.8"


def test_assign_epa_regions_sets_the_epa_codes_and_leaves_the_region_to_partitioning(caravan_camels, polygons, caplog):
    ds = assign_epa_regions(caravan_camels, polygons)
    assert (ds["eco_l3"].values != "").all()
    for site, (_, _, l3, _) in KNOWN.items():
        assert ds["eco_l3"].sel(site=site).item() == l3
    assert "region" not in ds.variables  # partitioning's assign_regions owns the region of each scheme
    assert subregion_of(ds["eco_l3"].sel(site="01022500").item()) == "D"
    assert subregion_of(ds["eco_l3"].sel(site="06431500").item()) == "B"
    assert ds["eco_l1"].sel(site="06431500").item() == "6" and ds["eco_l2"].sel(site="06431500").item() == "6.2"

    moved = caravan_camels.isel(site=slice(0, 3)).assign_coords(
        lat=("site", [50.0, 44.60797, 38.0]), lon=("site", [-100.0, -67.93524, -65.0])
    )
    with caplog.at_level(logging.WARNING, logger="synergy_kedro.regions.membership"):
        out = assign_epa_regions(moved, polygons)
    assert list(out["eco_l3"].values) == ["", "8.1.8", ""] and list(out["eco_l1"].values) == ["", "8", ""]
    outside = [str(s) for s in moved["site"].values[[0, 2]]]
    assert "2 of 3 sites fall outside" in caplog.text and all(s in caplog.text for s in outside)


def square_polygons() -> gpd.GeoDataFrame:
    """Three EPA-like polygons in EPSG:5070 (metres): code 8.1.1 in two pieces, 8.2.1 in one.

    x 0–30 km: 8.1.1 (piece a); x 30–70 km: 8.2.1; x 70–100 km: 8.1.1 (piece b).
    """
    return gpd.GeoDataFrame(
        {"NA_L1CODE": ["8", "8", "8"], "NA_L2CODE": ["8.1", "8.2", "8.1"], "NA_L3CODE": ["8.1.1", "8.2.1", "8.1.1"]},
        geometry=[box(0, 0, 30_000, 100_000), box(30_000, 0, 70_000, 100_000), box(70_000, 0, 100_000, 100_000)],
        crs="EPSG:5070",
    )


def test_basin_gets_the_region_covering_most_of_its_area():
    basins = gpd.GeoDataFrame(
        geometry=[
            box(20_000, 0, 45_000, 10_000),   # 10 km in 8.1.1, 15 km in 8.2.1 → 8.2.1 (60 %)
            box(0, 0, 100_000, 10_000),       # 30+30 km in 8.1.1 (two pieces), 40 km in 8.2.1 → 8.1.1 (60 %)
            box(200_000, 0, 210_000, 10_000),  # outside every polygon
        ],
        index=pd.Index(["b1", "b2", "b3"], name="site"),
        crs="EPSG:5070",
    )
    got = epa_membership_from_basins(basins, square_polygons())
    assert list(got.index) == ["b1", "b2", "b3"]
    assert got.loc["b1", "eco_l3"] == "8.2.1" and got.loc["b1", "eco_l2"] == "8.2"
    assert got.loc["b2", "eco_l3"] == "8.1.1"  # the largest single piece is 8.2.1: areas are summed per code
    assert got.loc["b3", ["eco_l1", "eco_l2", "eco_l3"]].tolist() == ["", "", ""]
    np.testing.assert_allclose(got["overlap_frac"], [0.6, 0.6, 0.0], atol=1e-9)


def test_basins_in_another_crs_are_projected_to_equal_area():
    polygons = square_polygons()
    basins = gpd.GeoDataFrame(geometry=[box(20_000, 0, 45_000, 10_000)], crs="EPSG:5070").to_crs("EPSG:4326")
    assert epa_membership_from_basins(basins, polygons.to_crs("EPSG:4326")).loc[0, "eco_l3"] == "8.2.1"


def test_read_polygons_requires_the_epa_fields(polygons, tmp_path):
    assert len(polygons) == 85 and polygons.crs.to_epsg() == 4326
    path = tmp_path / "bad.geojson"
    polygons.drop(columns=["NA_L2CODE", "NA_L1CODE"]).to_file(path, driver="GeoJSON")
    with pytest.raises(SourceDataError, match=r"bad\.geojson.*\['NA_L1CODE', 'NA_L2CODE'\]"):
        read_ecoregion_polygons(path)
    with pytest.raises(SourceDataError, match="does not exist"):
        read_ecoregion_polygons(tmp_path / "none.shp")


def tiny_dataset(**site_columns) -> xr.Dataset:
    sites = ["a", "b", "c"]
    coords = {"site": sites, **{k: ("site", v) for k, v in site_columns.items() if isinstance(v[0], str)}}
    data = {k: ("site", np.asarray(v, np.float32)) for k, v in site_columns.items() if not isinstance(v[0], str)}
    return xr.Dataset(data, coords=coords)


def test_column_scheme_uses_text_or_whole_numbers():
    ds = tiny_dataset(AGGECOREGION=["NorthEast", "WestMnts", "NorthEast"], huc=[1.0, 17.0, np.nan], x=[0.5, 1.0, 2.0])
    assert column_labels(ds, "AGGECOREGION").tolist() == ["NorthEast", "WestMnts", "NorthEast"]
    assert column_labels(ds, "huc").tolist() == ["1", "17", ""]
    assert column_labels(ds, "x").tolist() == ["0.5", "1.0", "2.0"]
    assert column_labels(ds, "x").index.tolist() == ["a", "b", "c"]
    with pytest.raises(SourceDataError, match="'HUC02'.*AGGECOREGION"):
        column_labels(ds, "HUC02")


def test_an_empty_geojson_is_said_to_have_no_features(tmp_path):
    """A valid FeatureCollection with no features has no fields either: the message must not blame the fields."""
    path = tmp_path / "us_eco_l3.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(SourceDataError, match=r"us_eco_l3\.geojson has no features \(no polygons\)") as caught:
        read_ecoregion_polygons(path)
    assert "lacks the EPA field" not in str(caught.value)
