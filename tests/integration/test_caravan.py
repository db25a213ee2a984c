"""``global_vs_local`` on real Caravan basins (``--env caravan``), regions from GAGES-II AGGECOREGION."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from synergy_kedro.regions.schemes import local_model_name
from synergy_kedro.sources.gages2 import read_gages2
from tests.kedro_project import copy_project, inside

PERIODS = {"train": ["1999-10-01", "2001-09-30"], "test": ["2001-10-01", "2002-09-30"]}
TRAINING = {"hidden_size": 8, "epochs": 1, "iterations_per_epoch": 2, "window": {"streamflow": 120},
            "batch_size": {"streamflow": 16}}


@pytest.fixture(scope="module")
def basins_and_regions(caravan_root, shared_data):
    ids = sorted(p.stem.removeprefix("camels_") for p in (caravan_root / "timeseries/csv/camels").glob("*.csv"))[::10]
    labels = read_gages2(shared_data / "gages2")["AGGECOREGION"].reindex(ids)
    counts = labels.value_counts()
    return ids, labels, sorted(counts[counts >= 5].index)


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory, caravan_root, shared_data, basins_and_regions):
    basins, _, regions = basins_and_regions
    project = copy_project(tmp_path_factory.mktemp("caravan") / "project")
    catalog = yaml.safe_load((project / "conf/caravan/catalog.yml").read_text())
    catalog["raw_basins"]["path"] = str(caravan_root)
    catalog["raw_basins"]["load_args"]["basins"] = basins
    catalog["gages2_tables"]["path"] = str(shared_data / "gages2")
    catalog["ecoregion_polygons"]["path"] = str(shared_data / "ecoregions/us_eco_l3_conus_covsimpl_0.005.geojson")
    (project / "conf/caravan/catalog.yml").write_text(yaml.safe_dump(catalog))  # --env replaces conf/local
    params = {"periods": PERIODS, "training": TRAINING,
              "partitioning": {"scheme": "column", "column": "AGGECOREGION", "regions": regions, "min_sites": 5}}
    with inside(project):
        bootstrap_project(project)
        with KedroSession.create(project_path=project, env="caravan", runtime_params=params) as session:
            session.run(pipeline_name="global_vs_local")
        yield project


def test_real_basins_are_ingested_with_gages2_labels_and_epa_codes(finished_run, basins_and_regions):
    basins, labels, _ = basins_and_regions
    regions = pd.read_csv(finished_run / "data/caravan/03_primary/site_regions.csv", dtype=str).set_index("site")
    assert sorted(regions.index) == basins
    assert regions["eco_l3"].notna().all()  # every CAMELS gauge lies inside a US level-III polygon
    assert (regions["region"].dropna() == labels[regions["region"].dropna().index]).all()


def test_one_local_model_per_aggecoregion_with_enough_basins(finished_run, basins_and_regions):
    _, labels, regions = basins_and_regions
    for region in regions:
        sets = json.loads((finished_run / f"data/caravan/05_model_input/{local_model_name(region)}/train_sites.json").read_text())
        assert sets["skipped"] is None
        assert sets["sites"] == sorted(labels[labels == region].index)
    table = pd.read_csv(finished_run / "data/caravan/08_reporting/global_vs_local/comparison.csv")
    assert list(table["region"]) == [*regions, "All"]
    assert table.loc[table["region"] == "All", "NSE_N"].item() == (labels.isin(regions)).sum()


def test_predictions_are_real_streamflow_in_mm_per_day(finished_run):
    import xarray as xr

    with xr.open_dataset(finished_run / "data/caravan/07_model_output/global/predictions.nc") as ds:
        assert str(ds["time"].values[0])[:10] == "2001-10-01" and str(ds["time"].values[-1])[:10] == "2002-09-30"
        assert float(ds["obs"].mean()) > 0.1 and (ds["sim"] >= 0).all()


def test_maps_of_real_basins_are_drawn_over_the_epa_polygons(finished_run):
    folder = finished_run / "data/caravan/08_reporting/global_vs_local"
    for name in ("sites_map.png", "difference_map.png"):
        assert (folder / name).stat().st_size > 150_000, name  # ~0.3 MB with the polygons, well under 0.1 MB without
