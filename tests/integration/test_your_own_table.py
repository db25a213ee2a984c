"""Your own data: Caravan basins rewritten as two plain tables, with a made-up variable name, run
through ``--env table`` after editing only YAML, give the numbers of the Caravan run of the same basins."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

from synergy_kedro.sources.caravan import read_caravan
from synergy_kedro.sources.gages2 import read_gages2
from tests.kedro_project import copy_project, inside

PERIODS = {"train": ["1999-10-01", "2001-09-30"], "test": ["2001-10-01", "2002-09-30"]}
TRAINING = {"hidden_size": 8, "epochs": 1, "iterations_per_epoch": 2, "window": {"streamflow": 120},
            "batch_size": {"streamflow": 16}}
RENAMED = {"prcp": "rain", "tmean": "tair", "streamflow": "discharge"}


@pytest.fixture(scope="module")
def basins(caravan_root, shared_data):
    ids = sorted(p.stem.removeprefix("camels_") for p in (caravan_root / "timeseries/csv/camels").glob("*.csv"))[::12]
    labels = read_gages2(shared_data / "gages2")["AGGECOREGION"].reindex(ids)
    counts = labels.value_counts()
    return ids, labels, sorted(counts[counts >= 5].index)


def _run(project, env, regions):
    params = {"periods": PERIODS, "training": TRAINING,
              "partitioning": {"scheme": "column", "column": "AGGECOREGION", "regions": regions, "min_sites": 5}}
    with inside(project):
        bootstrap_project(project)
        with KedroSession.create(project_path=project, env=env, runtime_params=params) as session:
            session.run(pipeline_name="global_vs_local")


@pytest.fixture(scope="module")
def caravan_run(tmp_path_factory, caravan_root, shared_data, basins):
    ids, _, regions = basins
    project = copy_project(tmp_path_factory.mktemp("caravan") / "project")
    catalog = yaml.safe_load((project / "conf/caravan/catalog.yml").read_text())
    catalog["raw_basins"]["path"] = str(caravan_root)
    catalog["raw_basins"]["load_args"]["basins"] = ids
    catalog["gages2_tables"]["path"] = str(shared_data / "gages2")
    catalog["ecoregion_polygons"]["path"] = str(shared_data / "ecoregions/us_eco_l3_conus_covsimpl_0.005.geojson")
    (project / "conf/caravan/catalog.yml").write_text(yaml.safe_dump(catalog))
    _run(project, "caravan", regions)
    return project / "data/caravan"


@pytest.fixture(scope="module")
def table_run(tmp_path_factory, caravan_root, shared_data, basins):
    """The worked example (docs/your_data.md): write the tables, point conf/table at them, run."""
    ids, labels, regions = basins
    project = copy_project(tmp_path_factory.mktemp("table") / "project")
    selection = yaml.safe_load((project / "conf/caravan/catalog.yml").read_text())["raw_basins"]["load_args"]
    ds = read_caravan(caravan_root, basins=ids, dynamic=selection["dynamic"], static=selection["static"])
    folder = project / "data/01_raw/my_table"
    folder.mkdir(parents=True)
    values = ds[["prcp", "tmean", "pet", "streamflow"]].to_dataframe().reset_index().rename(
        columns={"time": "date", **RENAMED})
    values["date"] = values["date"].dt.strftime("%Y-%m-%d")
    values[["site", "date", "rain", "tair", "pet", "discharge"]].to_csv(folder / "timeseries.csv", index=False)
    static = list(yaml.safe_load((project / "conf/table/parameters_feature_engineering.yml").read_text())
                  ["features"]["static"])
    sites = ds[static].reset_coords()[["lat", "lon", *static]].to_dataframe().reset_index()
    sites["AGGECOREGION"] = labels.reindex(sites["site"]).to_numpy()
    sites.to_csv(folder / "sites.csv", index=False)
    catalog_path = project / "conf/table/catalog.yml"  # the only edits a user makes: YAML
    catalog = yaml.safe_load(catalog_path.read_text())
    catalog["ecoregion_polygons"]["path"] = str(shared_data / "ecoregions/us_eco_l3_conus_covsimpl_0.005.geojson")
    catalog_path.write_text(yaml.safe_dump(catalog))
    ingestion_path = project / "conf/table/parameters_ingestion.yml"
    ingestion = yaml.safe_load(ingestion_path.read_text())
    ingestion["ingestion"]["table"]["label_column"] = "AGGECOREGION"
    ingestion_path.write_text(yaml.safe_dump(ingestion))
    _run(project, "table", regions)
    return project / "data/table"


def test_the_table_run_gives_the_caravan_runs_numbers(caravan_run, table_run, basins):
    _, _, regions = basins
    models = ["global", *(f"local_{r}" for r in regions)]
    for model in models:
        a = pd.read_csv(caravan_run / f"07_model_output/{model}/site_metrics.csv", dtype={"site": str}).set_index("site")
        b = pd.read_csv(table_run / f"07_model_output/{model}/site_metrics.csv", dtype={"site": str}).set_index("site")
        assert list(a.index) == list(b.index) and len(a) > 0, model
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-5, atol=1e-6, obj=model)
    ta = pd.read_csv(caravan_run / "08_reporting/global_vs_local/comparison.csv")
    tb = pd.read_csv(table_run / "08_reporting/global_vs_local/comparison.csv")
    pd.testing.assert_frame_equal(ta, tb, check_exact=False, rtol=1e-5, atol=1e-6)


def test_the_made_up_variable_is_a_flux_scored_on_nse_in_its_own_name_and_units(table_run):
    report = (table_run / "08_reporting/global_vs_local/paper_comparison.md").read_text()
    assert report.startswith("# Global vs local (discharge)") and "on NSE" in report
    import xarray as xr

    with xr.open_dataset(table_run / "07_model_output/global/predictions.nc") as pred:
        assert pred["sim"].attrs["units"] == "mm/d"
