"""``global_vs_local`` end to end through a real Kedro session, on a tiny configuration."""

from __future__ import annotations

import json
import subprocess
import sys

import mlflow
import pandas as pd
import pytest
import torch
from mlflow.tracking import MlflowClient

from tests.conftest import TINY
from tests.kedro_project import copy_project, inside, run_pipeline, tracking_uri


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("gvl") / "project")
    with inside(project):
        run_pipeline(project, "global_vs_local", TINY)
        yield project


def test_regions_with_enough_sites_get_a_model_and_the_rest_are_skipped(finished_run):
    sets = {p.parent.name: json.loads(p.read_text()) for p in (finished_run / "data/05_model_input").glob("*/train_sites.json")}
    assert len(sets) == 19
    trained = sorted(name for name, s in sets.items() if not s["skipped"])
    # 3 sites per sub-region; F (8.3.5) and K (9.4.2) get 3 extra each, reaching min_sites=5.
    assert trained == ["global", "local_F", "local_K"]
    assert len(sets["global"]["sites"]) == 18 * 3 + 2 * 3
    regions = pd.read_csv(finished_run / "data/03_primary/site_regions.csv", dtype=str).set_index("site")["subregion"]
    assert set(regions[sets["local_F"]["sites"]]) == {"F"}
    assert "fewer than partitioning.min_sites=5" in sets["local_A"]["skipped"]


def test_models_and_predictions_are_written(finished_run):
    for name in ("global", "local_F", "local_K"):
        assert (finished_run / f"data/06_models/{name}/model.pt").stat().st_size > 0
        history = pd.read_csv(finished_run / f"data/06_models/{name}/training_history.csv")
        assert list(history["epoch"]) == [1, 2]
        metrics = pd.read_csv(finished_run / f"data/07_model_output/{name}/site_metrics.csv")
        assert metrics["RMSE"].notna().all()


def test_table_has_every_subregion_and_the_pooled_row(finished_run):
    table = pd.read_csv(finished_run / "data/08_reporting/global_vs_local/comparison.csv", dtype={"region": str})
    assert list(table["region"]) == [*"ABCDEFGHIJKLMNOPQR", "All"]
    by_region = table.set_index("region")
    assert by_region.loc["F", "RMSE_N"] == 6 and by_region.loc["A", "RMSE_N"] == 0
    assert by_region.loc["All", "RMSE_N"] == 12
    assert 0 <= by_region.loc["All", "RMSE_p"] <= 1
    assert (finished_run / "data/08_reporting/global_vs_local/boxplots.png").stat().st_size > 10_000
    assert "All" in (finished_run / "data/08_reporting/global_vs_local/comparison.md").read_text()


def test_mlflow_has_one_parent_and_a_nested_run_per_trained_model(finished_run):
    client = MlflowClient(tracking_uri=tracking_uri(finished_run))
    experiment = client.get_experiment_by_name("synergy_kedro")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1
    parent = parents[0]
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["pipeline"] == "global_vs_local"
    assert parent.data.params["training.hidden_size"] == "8"
    children = {r.data.tags["model"]: r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id}
    assert sorted(children) == ["global", "local_F", "local_K"]
    child = children["local_F"]
    record = torch.load(finished_run / "data/06_models/local_F/model.pt", weights_only=False)
    assert child.info.start_time == int(record["trained"][0] * 1000)  # the training's span, not the logging's
    assert child.info.end_time == int(record["trained"][1] * 1000)
    assert child.data.params["region"] == "F" and child.data.params["n_sites"] == "6"
    assert child.data.params["fingerprint"] == record["fingerprint"] and len(record["fingerprint"]) == 64
    assert children["global"].data.params["fingerprint"] != record["fingerprint"]  # other sites, other data
    # which procedure trained it: conf/base's paper procedure, tested cold for soil moisture
    assert child.data.tags["procedure"] == "paper" and child.data.params["procedure.test_start"] == "cold"
    assert child.data.params["training.epoch_rule"] == "paper" == record["procedure"]["epoch_rule"]
    assert [m.step for m in client.get_metric_history(child.info.run_id, "train_loss")] == [1, 2]
    assert "test_median_RMSE" in child.data.metrics
    artifacts = {a.path for a in client.list_artifacts(child.info.run_id)}
    assert {"site_metrics.csv", "train_sites.json", "training_history.csv"} <= artifacts
    reports = {a.path for a in client.list_artifacts(parent.info.run_id, "reports")}
    assert {"reports/global_vs_local/boxplots.png", "reports/global_vs_local/comparison.csv",
            "reports/global_vs_local/comparison.md"} <= {a.path for a in client.list_artifacts(parent.info.run_id, "reports/global_vs_local")}
    assert "reports/skipped_models.csv" in reports
    pooled = pd.read_csv(finished_run / "data/08_reporting/global_vs_local/comparison.csv",
                         dtype={"region": str}).set_index("region").loc["All"]
    for column in ("RMSE_median_global", "RMSE_share_global_better", "RMSE_p", "R_N"):
        assert parent.data.metrics[f"global_vs_local.{column}"] == pytest.approx(pooled[column])
    assert pooled["test_sites"] >= pooled["RMSE_N"]  # the global model's test sites, compared or not


def test_maps_are_written_and_logged_to_mlflow(finished_run):
    folder = finished_run / "data/08_reporting/global_vs_local"
    for name in ("sites_map.png", "difference_map.png"):
        assert (folder / name).stat().st_size > 10_000, name
    client = MlflowClient(tracking_uri=tracking_uri(finished_run))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    parent = next(r for r in runs if "mlflow.parentRunId" not in r.data.tags)
    logged = {a.path for a in client.list_artifacts(parent.info.run_id, "reports/global_vs_local")}
    assert {"reports/global_vs_local/sites_map.png", "reports/global_vs_local/difference_map.png"} <= logged


def test_each_nested_run_has_its_network_as_a_logged_model_and_its_training_data_as_a_dataset(finished_run):
    client = MlflowClient(tracking_uri=tracking_uri(finished_run))
    experiment = client.get_experiment_by_name("synergy_kedro").experiment_id
    children = {r.data.tags["model"]: r for r in client.search_runs([experiment])
                if "mlflow.parentRunId" in r.data.tags}
    models = {m.name: m for m in client.search_logged_models([experiment])}
    assert sorted(models) == ["global", "local_F", "local_K"]
    for name, model in models.items():
        assert model.source_run_id == children[name].info.run_id
        assert [o.model_id for o in children[name].outputs.model_outputs] == [model.model_id]
        (entry,) = children[name].inputs.dataset_inputs
        assert entry.dataset.name == f"virtual_conus.{name}"
        assert json.loads(entry.dataset.profile)["sites"] == int(children[name].data.params["n_sites"])
        assert json.loads(entry.dataset.profile)["period"] == TINY["periods"]["train"]
    assert json.loads(children["local_F"].inputs.dataset_inputs[0].dataset.profile)["sites"] == 6
    stats = json.loads((finished_run / "data/04_feature/normalisation_stats.json").read_text())
    assert mlflow.artifacts.load_dict(f"{models['local_F'].artifact_location}/normalisation_stats.json") == stats


def test_kedro_viz_build_succeeds(finished_run):
    done = subprocess.run([sys.executable, "-m", "kedro", "viz", "build"], cwd=finished_run, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (finished_run / "build" / "index.html").exists()


def test_a_column_scheme_given_at_run_time_builds_one_local_model_per_label(tmp_path):
    """Regions from a label in the data (as GAGES-II AGGECOREGION would be), set with runtime params."""
    project = copy_project(tmp_path / "project")
    params = {**TINY, "partitioning": {"scheme": "column", "column": "eco_l2", "regions": ["8.3", "9.4"],
                                       "min_sites": 5}}
    with inside(project):
        run_pipeline(project, "global_vs_local", params)
    assert sorted(p.name for p in (project / "data/06_models").iterdir()) == ["global", "local_8_3", "local_9_4"]
    sets = json.loads((project / "data/05_model_input/global/train_sites.json").read_text())
    regions = pd.read_csv(project / "data/03_primary/site_regions.csv", dtype=str).set_index("site")
    assert set(regions.loc[sets["sites"], "eco_l2"]) == {"8.3", "9.4"}
    table = pd.read_csv(project / "data/08_reporting/global_vs_local/comparison.csv", dtype={"region": str})
    assert list(table["region"]) == ["8.3", "9.4", "All"]


def test_seed_repeats_give_the_spread_of_the_pooled_result(tmp_path):
    project = copy_project(tmp_path / "project")
    params = {**TINY, "global_vs_local": {"seed_repeats": 3}}
    with inside(project):
        run_pipeline(project, "global_vs_local", params)
    seeds = pd.read_csv(project / "data/08_reporting/global_vs_local/seed_variability.csv")
    assert list(seeds["repeat"]) == [0, 1, 2]
    assert seeds["RMSE_N"].tolist() == [12, 12, 12]
    assert seeds["RMSE_median_global"].nunique() == 3  # different seeds, different models
    main = pd.read_csv(project / "data/08_reporting/global_vs_local/comparison.csv").set_index("region").loc["All"]
    assert seeds.loc[0, "RMSE_median_global"] == pytest.approx(main["RMSE_median_global"])
    seed1 = json.loads((project / "data/05_model_input/seed1.local_F/train_sites.json").read_text())
    assert seed1["seed_offset"] == 1
    report = (project / "data/08_reporting/global_vs_local/paper_comparison.md").read_text()
    assert "## Seed variability" in report and "trained with 3 seeds" in report
    client = MlflowClient(tracking_uri=tracking_uri(project))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    assert len([r for r in runs if "mlflow.parentRunId" in r.data.tags]) == 3 * 3
