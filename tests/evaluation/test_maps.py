"""Maps: every site drawn once, where it is, at its true size; the global model's improvement centred on 0."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
import shapely
from kedro.io import DatasetError
from matplotlib.collections import PatchCollection

from synergy_kedro.datasets import EcoregionPolygonsDataset
from synergy_kedro.evaluation import maps
from synergy_kedro.pipelines.evaluation import map_nodes
from synergy_kedro.regions.experiment_design import design_site_sets
from synergy_kedro.regions.hierarchy import level1_of, level2_of, level3_hierarchy, subregions_of
from synergy_kedro.regions.membership import read_ecoregion_polygons
from tests.parameter_blocks import block

EVALUATION = block("evaluation", table_metrics={"soil_moisture": ["RMSE", "R"], "streamflow": ["NSE", "R"]})


@pytest.fixture(scope="module")
def site_regions() -> pd.DataFrame:
    """Three sites near the representative point of each of a few level-III regions, as ``site_regions`` holds them."""
    table = level3_hierarchy().set_index("na_l3code")
    codes = ["8.3.5", "8.3.1", "8.4.1", "8.1.7", "9.4.2", "9.4.1", "9.3.3", "10.1.5", "5.2.1"]
    rows = [{"site": f"{code}-{k}", "lat": table.loc[code, "lat"] + 0.2 * k, "lon": table.loc[code, "lon"] - 0.2 * k,
             "eco_l3": code} for code in codes for k in range(3)]
    sites = pd.DataFrame(rows)
    sites["eco_l2"], sites["eco_l1"] = sites["eco_l3"].map(level2_of), sites["eco_l3"].map(level1_of)
    sites["subregion"] = subregions_of(sites["eco_l3"])
    sites["region"] = sites["subregion"]
    return sites


def _by_gid(fig, gid: str, axes_index: int = 0):
    found = [c for c in fig.axes[axes_index].collections if c.get_gid() == gid]
    assert len(found) == 1, f"expected one {gid!r} collection, found {len(found)}"
    return found[0]


def _n_drawn(collection) -> int:
    """Sites in a collection: squares for pixels, offsets for points."""
    return len(collection.get_paths()) if isinstance(collection, PatchCollection) else len(collection.get_offsets())


def _legend_texts(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_every_gauge_is_one_point_coloured_by_its_subregion(site_regions):
    fig = map_nodes.sites_map(site_regions, "streamflow", None, title="Sites")
    points = _by_gid(fig, "sites")
    assert not isinstance(points, PatchCollection)
    assert _n_drawn(points) == len(site_regions)
    colours = maps.subregion_colours()
    first_f = site_regions.index[site_regions["subregion"] == "F"][0]
    assert tuple(points.get_facecolors()[first_f]) == pytest.approx(_rgba(colours["F"]))
    x, y = maps.to_map_xy(site_regions["lat"], site_regions["lon"])
    assert list(points.get_offsets()[first_f]) == pytest.approx([x[first_f], y[first_f]])
    assert "F (6)" in _legend_texts(fig.axes[0])  # 8.3.5 and 8.3.1 are both in F
    assert any(maps.NO_POLYGONS_NOTE in t.get_text() for t in fig.texts), "the missing outlines are not explained"


def test_a_pixel_is_a_36_km_square_centred_on_its_centre_in_conus_albers():
    # EPSG:5070's origin is 23°N 96°W, so a pixel centred there spans ±18 km on both axes.
    sites = pd.DataFrame({"lat": [23.0, 40.0], "lon": [-96.0, -100.0], "subregion": ["K", None]},
                         index=pd.Index(["origin", "plains"], name="site"))
    fig = maps.sites_map(sites, None, maps.footprint_of("soil_moisture"), "Pixels")
    squares = _by_gid(fig, "sites")
    assert isinstance(squares, PatchCollection) and _n_drawn(squares) == 2
    extent = squares.get_paths()[0].get_extents()
    assert (extent.x0, extent.x1, extent.y0, extent.y1) == pytest.approx((-18_000, 18_000, -18_000, 18_000), abs=1.0)
    other = squares.get_paths()[1].get_extents()
    assert other.width == pytest.approx(36_000) and other.height == pytest.approx(36_000)
    assert "no sub-region (1)" in _legend_texts(fig.axes[0])
    assert maps.footprint_of("streamflow") is None


def test_improvement_by_the_global_model_is_positive_where_the_global_model_is_better():
    glob = pd.DataFrame({"site": ["a", "b", "c", "d"], "RMSE": [0.02, 0.05, np.nan, 0.03], "NSE": [0.8, 0.2, 0.5, 0.1],
                         "Bias": [0.1, -0.1, 0.0, 0.3]})
    local = pd.DataFrame({"site": ["a", "b", "c"], "RMSE": [0.03, 0.04, 0.01], "NSE": [0.6, 0.4, np.nan],
                          "Bias": [-0.2, 0.05, 0.1]})
    rmse = map_nodes.global_improvement(glob, local, "RMSE")
    assert list(rmse.index) == ["a", "b", "c"]  # only sites with a local model are paired
    assert rmse["a"] == pytest.approx(0.01) and rmse["b"] == pytest.approx(-0.01) and np.isnan(rmse["c"])
    nse = map_nodes.global_improvement(glob, local, "NSE")
    assert nse["a"] == pytest.approx(0.2) and nse["b"] == pytest.approx(-0.2) and np.isnan(nse["c"])
    bias = map_nodes.global_improvement(glob, local, "Bias")
    assert bias["a"] == pytest.approx(0.1) and bias["b"] == pytest.approx(-0.05)
    assert EVALUATION.primary_metric_for("soil_moisture") == "RMSE"
    assert EVALUATION.primary_metric_for("streamflow") == "NSE"


@pytest.mark.parametrize("target", ["soil_moisture", "streamflow"])
def test_difference_map_counts_paired_nan_and_unpaired_sites_apart_on_a_scale_centred_on_0(site_regions, target):
    sites = site_regions["site"]
    rng = np.random.default_rng(1)
    glob = pd.DataFrame({"site": sites, "RMSE": rng.uniform(0.02, 0.06, len(sites)),
                         "NSE": rng.uniform(-0.5, 0.9, len(sites))})
    local_sites = sites[site_regions["subregion"].isin(["F", "K"])]  # 12 sites with a local model
    local = pd.DataFrame({"site": local_sites, "RMSE": rng.uniform(0.02, 0.06, len(local_sites)),
                          "NSE": rng.uniform(-0.5, 0.9, len(local_sites))})
    local.loc[local.index[:2], ["RMSE", "NSE"]] = np.nan
    glob.loc[glob["site"] == local_sites.iloc[2], ["RMSE", "NSE"]] = np.nan
    # Two local models, as the node receives them; an empty one (a skipped region) is ignored.
    fig = map_nodes.difference_map(site_regions, EVALUATION, target, None, glob, local.iloc[:4], local.iloc[4:],
                                   local.iloc[:0])
    ax = fig.axes[0]
    coloured, hollow, unpaired = (_by_gid(fig, g) for g in ("improvement", "not_computable", "no_local_model"))
    assert (_n_drawn(coloured), _n_drawn(hollow), _n_drawn(unpaired)) == (9, 3, len(sites) - 12)
    assert isinstance(coloured, PatchCollection) == (target == "soil_moisture")
    texts = _legend_texts(ax)
    metric = "RMSE" if target == "soil_moisture" else "NSE"
    assert f"not computable, NaN {metric} (3)" in texts and f"no local model ({len(sites) - 12})" in texts
    norm = coloured.norm
    assert norm.vcenter == 0 and norm(0.0) == pytest.approx(0.5)
    assert norm(-norm.halfrange) == pytest.approx(0.0) and norm(norm.halfrange) == pytest.approx(1.0)
    improvement = map_nodes.global_improvement(glob, local, metric).dropna()
    assert sorted(coloured.get_array()) == pytest.approx(sorted(improvement))
    n_better = int((improvement > 0).sum())
    assert f"global better ({n_better})" in texts and f"local better ({9 - n_better})" in texts
    colourbar = fig.axes[1].get_ylabel()
    formula = "RMSE local − RMSE global" if metric == "RMSE" else "NSE global − NSE local"
    assert formula in colourbar and "global model better" in colourbar
    assert "improvement by the global model" in ax.get_title() and "blue: global better" in ax.get_title()


def test_the_colour_scale_stays_centred_when_every_site_improves():
    norm, extend = maps.centred_norm(np.array([0.1, 0.2, 0.4]))
    assert norm.vcenter == 0 and norm.halfrange == pytest.approx(0.4) and extend == "neither"
    assert norm(0.0) == pytest.approx(0.5)
    many = np.r_[np.linspace(-0.1, 0.1, 40), -5.0]  # one disastrous NSE must not wash out the rest
    norm, extend = maps.centred_norm(many)
    assert norm.halfrange < 1.0 and extend == "min"


def _records(site_regions, rois, variant="all_data"):
    return design_site_sets(site_regions, rois, [variant], min_sites=3, seed=0)


def test_roi_map_has_a_panel_per_roi_of_the_target_with_its_sets(site_regions):
    rois = ["8.3.5", "9.4.2"]
    records = _records(site_regions, [*rois, "10.1.5"])
    similar = block("similar_vs_dissimilar", rois={"soil_moisture": rois, "streamflow": ["10.1.5"]},
                    size_controlled=[False, True])
    fig = map_nodes.roi_map(site_regions, "soil_moisture", similar, None, *records.values(), variant="all_data",
                            namespaces=list(records))
    panels = [ax for ax in fig.axes if ax.collections]
    assert [ax.get_title() for ax in panels] == ["ROI 8.3.5", "ROI 9.4.2"]
    for i, roi in enumerate(rois):
        own = site_regions.loc[site_regions["eco_l3"] == roi, "site"]
        l3 = site_regions["eco_l3"]
        expected = {
            "local": len(own),
            "close": int(((l3.map(level2_of) == level2_of(roi)) & (l3 != roi)).sum()),
            "far": int(((l3.map(level1_of) == level1_of(roi)) & (l3.map(level2_of) != level2_of(roi))).sum()),
            "dissimilar": int((l3.map(level1_of) != level1_of(roi)).sum()),
        }
        drawn = {name: _n_drawn(_by_gid(fig, name, i)) for name in expected}
        assert drawn == expected and sum(drawn.values()) == len(site_regions)
        assert _n_drawn(_by_gid(fig, "other", i)) == 0
        assert isinstance(_by_gid(fig, "local", i), PatchCollection)
    assert "+close (3)" in _legend_texts(panels[0]) and "ROI (local) (3)" in _legend_texts(panels[0])


def test_size_controlled_roi_map_marks_the_sites_left_out_as_not_used(site_regions):
    records = _records(site_regions, ["8.3.5"], "size_controlled")
    similar = block("similar_vs_dissimilar", rois={"soil_moisture": ["8.3.5"]}, size_controlled=[True])
    fig = map_nodes.roi_map(site_regions, "soil_moisture", similar, None, *records.values(),
                            variant="size_controlled", namespaces=list(records))
    added = {name: _n_drawn(_by_gid(fig, name)) for name in ("close", "far", "dissimilar")}
    assert len(set(added.values())) == 1  # the same number added by each set
    used = 3 + sum(added.values())
    assert _n_drawn(_by_gid(fig, "other")) == len(site_regions) - used
    assert f"not used ({len(site_regions) - used})" in _legend_texts(fig.axes[0])
    not_run = map_nodes.roi_map(site_regions, "soil_moisture", block("similar_vs_dissimilar", rois={"soil_moisture": ["8.3.5"]}, size_controlled=[False]),
                                None, *records.values(), variant="size_controlled", namespaces=list(records))
    assert "was not run" in not_run.texts[0].get_text()


def test_an_roi_without_enough_sites_says_why_it_has_no_models(site_regions):
    records = design_site_sets(site_regions, ["9.3.3"], ["all_data"], min_sites=5, seed=0)
    similar = block("similar_vs_dissimilar", rois={"soil_moisture": ["9.3.3"]}, size_controlled=[False])
    fig = map_nodes.roi_map(site_regions, "soil_moisture", similar, None, *records.values(), variant="all_data",
                            namespaces=list(records))
    assert "no models: ROI 9.3.3 has 3 sites" in fig.axes[0].get_title()


def test_maps_draw_the_real_epa_polygons_and_the_subregion_outlines(site_regions, ecoregions_path, tmp_path):
    polygons = read_ecoregion_polygons(ecoregions_path)
    fig = map_nodes.sites_map(site_regions, "soil_moisture", polygons, title="Sites")
    assert _n_drawn(_by_gid(fig, "level3")) == len(polygons)
    outlines = _by_gid(fig, "subregions")
    assert _n_drawn(outlines) == 18  # the level-III polygons dissolved into A–R
    letters = {t.get_text() for t in fig.axes[0].texts}
    assert set("ABCDEFGHIJKLMNOPQR") <= letters
    assert not any(maps.NO_POLYGONS_NOTE in t.get_text() for t in fig.texts)
    # Sub-region F's outline holds F's sites (both in EPSG:5070).
    f_shape = maps.dissolved(maps.map_polygons(polygons), "subregion")["F"]
    x, y = maps.to_map_xy(site_regions["lat"], site_regions["lon"])
    at_point = site_regions["site"].str.endswith("-0").to_numpy()  # the packaged representative points
    in_f = shapely.contains_xy(f_shape, x, y)
    assert in_f[at_point & (site_regions["subregion"] == "F").to_numpy()].all()
    assert not in_f[at_point & (site_regions["subregion"] != "F").to_numpy()].any()
    fig.savefig(tmp_path / "sites_map.png")
    assert (tmp_path / "sites_map.png").stat().st_size > 10_000
    records = _records(site_regions, ["8.3.5"])
    similar = block("similar_vs_dissimilar", rois={"streamflow": ["8.3.5"]}, size_controlled=[False])
    roi = map_nodes.roi_map(site_regions, "streamflow", similar, polygons, *records.values(), variant="all_data", namespaces=list(records))
    assert _n_drawn(_by_gid(roi, "roi")) == 1 and _n_drawn(_by_gid(roi, "eco_l2")) == 1


def test_optional_polygons_fall_back_to_the_packaged_layer_with_one_line_saying_where_to_put_them(
        tmp_path, caplog, ecoregions_path):
    missing = tmp_path / "ecoregions" / "none.geojson"
    optional = EcoregionPolygonsDataset(path=str(missing), optional=True)
    with caplog.at_level(logging.INFO, logger="synergy_kedro.datasets.raw_sources"):
        packaged = optional.load()
        assert len(optional.load()) == len(packaged) == 85  # every CONUS level-III region
    lines = [r.getMessage() for r in caplog.records if r.name == "synergy_kedro.datasets.raw_sources"]
    assert len(lines) == 1 and str(missing) in lines[0] and "simplified layer" in lines[0]
    full = read_ecoregion_polygons(ecoregions_path)
    assert sorted(packaged["NA_L3CODE"]) == sorted(full["NA_L3CODE"])
    # the same regions, drawn coarser: each polygon's area within a few per cent of the full layer's
    ratio = (packaged.to_crs(maps.EQUAL_AREA_CRS).set_index("US_L3CODE").area
             / full.to_crs(maps.EQUAL_AREA_CRS).set_index("US_L3CODE").area)  # US 6 and 85 share NA 11.1.1
    assert ratio.between(0.9, 1.1).all(), ratio.sort_values()
    with pytest.raises(DatasetError, match="does not exist"):
        EcoregionPolygonsDataset(path=str(missing)).load()  # the real-data environments' definition


def _rgba(hex_colour: str) -> tuple[float, ...]:
    from matplotlib.colors import to_rgba

    return to_rgba(hex_colour)
