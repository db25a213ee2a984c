"""``global_vs_local`` with ``training.grouped: true``: one node trains the local models, outputs stay per model."""

from __future__ import annotations

import pandas as pd
import pytest
import torch
from kedro.framework.project import pipelines
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from mlflow.tracking import MlflowClient

from tests.kedro_project import copy_project, inside, tracking_uri

# As tests/integration/test_global_vs_local.py, on CPU so dropout masks match bit for bit.
TINY = {
    "ingestion": {"virtual_conus": {"sites_per_subregion": 3, "sites_per_focus_l3": 3,
                                    "focus_l3_codes": ["8.3.5", "9.4.2"], "n_years": 2, "start": "2010-01-01"}},
    "periods": {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]},
    "partitioning": {"min_sites": 5},
    "training": {"hidden_size": 8, "epochs": 2, "iterations_per_epoch": 3, "device": "cpu"},
}
TRAINED = ("global", "local_F", "local_K")
METRICS = ["NSE", "KGE", "RMSE", "R", "Bias"]


def _run(project, grouped: bool):
    params = {**TINY, "training": {**TINY["training"], "grouped": grouped}}
    with inside(project):
        bootstrap_project(project)
        with KedroSession.create(project_path=project, runtime_params=params) as session:
            session.run(pipeline_name="global_vs_local")
        node_names = {n.name for n in pipelines["global_vs_local"].nodes}
    return node_names


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("grouped")
    out = {}
    for grouped in (False, True):
        project = copy_project(root / f"grouped_{grouped}")
        out[grouped] = (project, _run(project, grouped))
    return out


def test_one_node_trains_the_local_models_and_the_global_model_trains_alone(runs):
    _, sequential_nodes = runs[False]
    _, grouped_nodes = runs[True]
    assert {"global.train", "local_F.train", "local_A.train"} <= sequential_nodes
    assert "train_local_models_grouped" in grouped_nodes and "global.train" in grouped_nodes
    assert not any(n.startswith("local_") and n.endswith(".train") for n in grouped_nodes)
    assert {"local_F.predict", "local_F.evaluate", "local_A.predict"} <= grouped_nodes


def test_every_namespace_gets_its_outputs(runs):
    project, _ = runs[True]
    for name in TRAINED:
        assert (project / f"data/06_models/{name}/model.pt").stat().st_size > 0
        history = pd.read_csv(project / f"data/06_models/{name}/training_history.csv")
        assert list(history["epoch"]) == [1, 2] and list(history["iterations"]) == [3, 3]
        assert (project / f"data/07_model_output/{name}/predictions.nc").exists()
    skipped = torch.load(project / "data/06_models/local_A/model.pt", weights_only=False)
    assert skipped["state_dict"] is None and "fewer than partitioning.min_sites=5" in skipped["skipped"]
    assert len(pd.read_csv(project / "data/06_models/local_A/training_history.csv")) == 0
    assert (project / "data/08_reporting/global_vs_local/comparison.csv").exists()


def test_grouped_models_equal_the_one_by_one_models(runs):
    (sequential, _), (grouped, _) = runs[False], runs[True]
    for name in TRAINED:
        a = torch.load(sequential / f"data/06_models/{name}/model.pt", weights_only=False)
        b = torch.load(grouped / f"data/06_models/{name}/model.pt", weights_only=False)
        def same(record):
            kept = {k: v for k, v in record.items() if k not in ("state_dict", "trained", "run")}
            return {**kept, "config": {k: v for k, v in record["config"].items() if k != "grouped"}}

        assert same(a) == same(b)
        assert (a["config"]["grouped"], b["config"]["grouped"]) == (False, True)  # the record says how it trained
        assert b["trained"][0] <= b["trained"][1]  # the wall-clock span of the training
        assert a["run"]["kedro_session_id"] != b["run"]["kedro_session_id"]  # each written by its own run
        for key, value in a["state_dict"].items():
            torch.testing.assert_close(b["state_dict"][key], value, rtol=0, atol=1e-5)
        ma = pd.read_csv(sequential / f"data/07_model_output/{name}/site_metrics.csv", dtype={"site": str})
        mb = pd.read_csv(grouped / f"data/07_model_output/{name}/site_metrics.csv", dtype={"site": str})
        assert list(ma["site"]) == list(mb["site"])
        pd.testing.assert_frame_equal(ma[METRICS], mb[METRICS], rtol=1e-4, atol=1e-5)
        ha = pd.read_csv(sequential / f"data/06_models/{name}/training_history.csv")
        hb = pd.read_csv(grouped / f"data/06_models/{name}/training_history.csv")
        pd.testing.assert_series_equal(ha["loss"], hb["loss"], rtol=0, atol=1e-5)


def test_mlflow_still_has_a_nested_run_per_trained_model(runs):
    project, _ = runs[True]
    client = MlflowClient(tracking_uri=tracking_uri(project))
    runs_ = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    parent = next(r for r in runs_ if "mlflow.parentRunId" not in r.data.tags)
    assert parent.data.params["training.grouped"] == "True"
    children = sorted(r.data.tags["model"] for r in runs_
                      if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id)
    assert children == list(TRAINED)


@pytest.mark.parametrize("experiment", ["global_vs_local", "similar_vs_dissimilar"])
def test_grouping_changes_the_training_nodes_not_the_datasets(experiment):
    """Same per-model datasets (kedro viz lineage) with and without grouping; a group checkpoints as one."""
    from synergy_kedro.pipelines import global_vs_local, similar_vs_dissimilar
    from synergy_kedro.regions.schemes import scheme_regions

    def build(grouped):
        if experiment == "global_vs_local":
            return global_vs_local.pipeline.create_pipeline(scheme_regions(None), grouped=grouped)
        return similar_vs_dissimilar.pipeline.create_pipeline(["8.3.5", "9.4.2"], grouped=grouped)

    def datasets(p):
        return {d for d in p.datasets() if not d.endswith(".checkpoint")}

    # global_vs_local: one group of 18 local models; similar_vs_dissimilar: 2 variants × 2 ROIs, four sets each
    groups, size = (1, 18) if experiment == "global_vs_local" else (4, 4)
    one_by_one, grouped = build(False), build(True)
    assert datasets(one_by_one) == datasets(grouped)
    group_nodes = [n for n in grouped.nodes if n.name.endswith("_grouped")]
    assert len(group_nodes) == groups
    for n in group_nodes:
        trained = [o[: -len(".model")] for o in n.outputs if o.endswith(".model")]
        assert len(trained) == size
        assert {f"{ns}.train_sites" for ns in trained} <= set(n.inputs)
        assert {f"{ns}.training_history" for ns in trained} <= set(n.outputs)
        assert [i for i in n.inputs if i.endswith(".checkpoint")] == [f"{n.name}.checkpoint"]


SVD_TINY = {
    "ingestion": {"virtual_conus": {"sites_per_subregion": 2, "sites_per_focus_l3": 4,
                                    "focus_l3_codes": ["8.3.5", "8.3.1", "9.4.2"], "n_years": 2}},
    "periods": {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]},
    "similar_vs_dissimilar": {"min_sites": 3, "training": {"hidden_size": 8, "epochs": 1, "iterations_per_epoch": 2,
                                                           "device": "cpu"}},
}
SVD_CONF = """similar_vs_dissimilar:
  rois:
    soil_moisture: ["8.3.5", "9.4.2"]
    streamflow: ["8.3.1"]
"""


def test_similar_vs_dissimilar_grouped_per_roi_equals_one_by_one(tmp_path):
    """Each (variant, ROI) trains its four sets in one node; skipped sets (the streamflow ROI) still get outputs."""
    metrics = {}
    for grouped in (False, True):
        project = copy_project(tmp_path / f"svd_{grouped}")
        (project / "conf/local/parameters_similar_vs_dissimilar.yml").write_text(SVD_CONF)
        params = {**SVD_TINY, "similar_vs_dissimilar": {
            **SVD_TINY["similar_vs_dissimilar"],
            "training": {**SVD_TINY["similar_vs_dissimilar"]["training"], "grouped": grouped}}}
        with inside(project):
            bootstrap_project(project)
            with KedroSession.create(project_path=project, runtime_params=params) as session:
                session.run(pipeline_name="similar_vs_dissimilar")
            names = {n.name for n in pipelines["similar_vs_dissimilar"].nodes}
        assert ("sim.all_data.roi_8_3_5.train_grouped" in names) is grouped
        skipped = torch.load(project / "data/06_models/sim.all_data.roi_8_3_1.local/model.pt", weights_only=False)
        assert skipped["state_dict"] is None and "not selected" in skipped["skipped"]
        metrics[grouped] = {p.parent.name: pd.read_csv(p, dtype={"site": str})
                            for p in (project / "data/07_model_output").glob("*/site_metrics.csv")}
    assert sorted(metrics[False]) == sorted(metrics[True])
    trained = [ns for ns, table in metrics[False].items() if len(table)]
    assert len(trained) >= 8
    for ns in trained:
        pd.testing.assert_frame_equal(metrics[False][ns][METRICS], metrics[True][ns][METRICS], rtol=1e-4, atol=1e-5)
