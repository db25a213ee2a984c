"""``similar_vs_dissimilar`` end to end through a real Kedro session, on a tiny configuration."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from mlflow.tracking import MlflowClient

from synergy_kedro.regions.hierarchy import level1_of, level2_of
from tests.kedro_project import copy_project, inside, tracking_uri

ROIS = ["8.3.5", "9.4.2"]
TINY = {
    "ingestion": {"virtual_conus": {"sites_per_subregion": 2, "sites_per_focus_l3": 4,
                                    "focus_l3_codes": ["8.3.5", "8.3.1", "9.4.2"], "n_years": 2}},
    "periods": {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]},
    # hidden_size from `training`, the rest from this experiment's overrides
    "training": {"hidden_size": 8, "epochs": 50},
    "similar_vs_dissimilar": {"min_sites": 3, "training": {"epochs": 1, "iterations_per_epoch": 2}},
}
CONF = """similar_vs_dissimilar:
  rois:
    soil_moisture: ["8.3.5", "9.4.2"]
    streamflow: ["8.3.1"]
"""


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("svd") / "project")
    (project / "conf/local/parameters_similar_vs_dissimilar.yml").write_text(CONF)
    with inside(project):
        bootstrap_project(project)
        with KedroSession.create(project_path=project, runtime_params=TINY) as session:
            session.run(pipeline_name="similar_vs_dissimilar")
        yield project


def _sets(project, variant, roi):
    slug = "roi_" + roi.replace(".", "_")
    return {s: json.loads((project / f"data/05_model_input/sim.{variant}.{slug}.{s}/train_sites.json").read_text())
            for s in ("local", "close", "far", "dissimilar")}


def test_training_sets_follow_the_papers_definitions(finished_run):
    l3 = pd.read_csv(finished_run / "data/03_primary/site_regions.csv", dtype=str).set_index("site")["eco_l3"]
    for roi in ROIS:
        sets = _sets(finished_run, "all_data", roi)
        local = set(sets["local"]["sites"])
        assert local == set(l3[l3 == roi].index) and len(local) >= 4
        added = {name: set(sets[name]["sites"]) - local for name in ("close", "far", "dissimilar")}
        assert all(set(sets[n]["sites"]) >= local for n in added)
        assert {level2_of(c) for c in l3[list(added["close"])]} == {level2_of(roi)}
        assert roi not in set(l3[list(added["close"])])
        assert {level1_of(c) for c in l3[list(added["far"])]} == {level1_of(roi)}
        assert level2_of(roi) not in {level2_of(c) for c in l3[list(added["far"])]}
        assert level1_of(roi) not in {level1_of(c) for c in l3[list(added["dissimilar"])]}
        assert local | added["close"] | added["far"] | added["dissimilar"] == set(l3.dropna().index)
        assert all(s["test_sites"] == sorted(local) for s in sets.values())


def test_size_controlled_sets_add_equal_counts_drawn_from_the_same_groups(finished_run):
    for roi in ROIS:
        full, controlled = _sets(finished_run, "all_data", roi), _sets(finished_run, "size_controlled", roi)
        local = set(full["local"]["sites"])
        counts = {n: len(controlled[n]["sites"]) - len(local) for n in ("close", "far", "dissimilar")}
        smallest = min(len(full[n]["sites"]) - len(local) for n in ("close", "far", "dissimilar"))
        assert set(counts.values()) == {smallest} and smallest > 0
        for n in ("close", "far", "dissimilar"):
            assert set(controlled[n]["sites"]) <= set(full[n]["sites"])


def test_a_streamflow_roi_has_namespaces_but_trains_nothing_for_soil_moisture(finished_run):
    for variant in ("all_data", "size_controlled"):
        sets = _sets(finished_run, variant, "8.3.1")
        assert all("not selected for target=soil_moisture" in s["skipped"] for s in sets.values())
    assert not _sets(finished_run, "all_data", "9.4.2")["far"]["skipped"]


@pytest.mark.parametrize("variant", ["all_data", "size_controlled"])
def test_tables_have_every_pair_and_roi_and_the_pooled_row(finished_run, variant):
    table = pd.read_csv(finished_run / f"data/08_reporting/similar_vs_dissimilar/{variant}/comparison.csv", dtype={"region": str})
    assert list(dict.fromkeys(table["pair"])) == ["local vs close", "close vs far", "far vs dissimilar", "close vs dissimilar"]
    for _pair, rows in table.groupby("pair", sort=False):
        assert list(rows["region"]) == [*ROIS, "All"]
    assert {"RMSE_p", "R_p", "RMSE_median_a", "RMSE_median_b"} <= set(table.columns)
    assert (table.loc[table["region"] == "All", "RMSE_N"] == table.loc[table["region"] != "All"].groupby("pair", sort=False)["RMSE_N"].sum().values).all()
    assert (finished_run / f"data/08_reporting/similar_vs_dissimilar/{variant}/boxplots.png").stat().st_size > 5000


def test_mlflow_has_a_nested_run_per_model(finished_run):
    client = MlflowClient(tracking_uri=tracking_uri(finished_run))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) == 2 * 2 * 4  # variants × ROIs × sets
    models = client.search_logged_models([parent.info.experiment_id])
    assert sorted(m.source_run_id for m in models) == sorted(r.info.run_id for r in children)
    one = next(r for r in children if r.data.tags["model"] == "sim.size_controlled.roi_8_3_5.far")
    assert one.data.params["design.set"] == "far" and one.data.params["design.variant"] == "size_controlled"
    for variant in ("all_data", "size_controlled"):
        reports = {a.path for a in client.list_artifacts(parent.info.run_id, f"reports/similar_vs_dissimilar/{variant}")}
        assert f"reports/similar_vs_dissimilar/{variant}/boxplots.png" in reports
        table = pd.read_csv(finished_run / f"data/08_reporting/similar_vs_dissimilar/{variant}/comparison.csv",
                            dtype={"region": str})
        row = table[(table["region"] == "All") & (table["pair"] == "local vs close")].iloc[0]
        assert parent.data.metrics[f"svd_{variant}.local_vs_close.RMSE_N"] == row["RMSE_N"]


def test_maps_are_written_and_logged_to_mlflow(finished_run):
    folder = finished_run / "data/08_reporting/similar_vs_dissimilar"
    maps = ["sites_map.png", "all_data/roi_map.png", "size_controlled/roi_map.png"]
    for name in maps:
        assert (folder / name).stat().st_size > 10_000, name
    client = MlflowClient(tracking_uri=tracking_uri(finished_run))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    logged = {a.path for folder in ("", "/all_data", "/size_controlled")
              for a in client.list_artifacts(parent.info.run_id, f"reports/similar_vs_dissimilar{folder}")}
    assert {f"reports/similar_vs_dissimilar/{name}" for name in maps} <= logged


def test_models_train_with_training_overridden_by_the_experiments_keys(finished_run):
    import torch

    record = torch.load(finished_run / "data/06_models/sim.all_data.roi_8_3_5.close/model.pt", weights_only=False)
    assert record["config"]["hidden_size"] == 8  # from training
    assert record["config"]["epochs"] == 1 and record["config"]["iterations_per_epoch"] == 2  # the overrides
    report = (finished_run / "data/08_reporting/similar_vs_dissimilar/paper_comparison.md").read_text()
    assert "- `hidden_size`: 8" in report and "- `epochs`: 1" in report
