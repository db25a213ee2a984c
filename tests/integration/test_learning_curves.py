"""``training.eval_every`` end to end: curves in the histories, MLflow step metrics, the figure, the report."""

from __future__ import annotations

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

from tests.conftest import TINY
from tests.kedro_project import copy_project, inside, run_pipeline, tracking_uri

CURVES = {**TINY, "training": {**TINY["training"], "epochs": 3, "eval_every": 2, "grouped": True},
          "evaluation": {"convergence_tolerance": {"soil_moisture": 1.0}}}


@pytest.fixture(scope="module")
def curves_run(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("curves") / "project")
    with inside(project):
        run_pipeline(project, "global_vs_local", CURVES)
        yield project


def test_histories_hold_the_test_skill_at_epochs_2_and_3_equal_to_the_final_scores(curves_run):
    for name in ("global", "local_F", "local_K"):  # global alone; local_F and local_K grouped
        history = pd.read_csv(curves_run / f"data/06_models/{name}/training_history.csv")
        scored = history[history["test_median_RMSE"].notna()]
        assert scored["epoch"].tolist() == [2, 3]
        final = pd.read_csv(curves_run / f"data/07_model_output/{name}/site_metrics.csv")
        assert scored["test_median_RMSE"].iloc[-1] == pytest.approx(final["RMSE"].median(), rel=1e-5)
        assert scored["test_median_R"].iloc[-1] == pytest.approx(final["R"].median(), rel=1e-5)
        assert scored["test_sites"].iloc[-1] == final["RMSE"].notna().sum()


def test_mlflow_nested_runs_carry_the_curves_as_step_metrics(curves_run):
    client = MlflowClient(tracking_uri=tracking_uri(curves_run))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    children = {r.data.tags["model"]: r for r in runs if "mlflow.parentRunId" in r.data.tags}
    for name in ("global", "local_F", "local_K"):
        history = client.get_metric_history(children[name].info.run_id, "curve_median_RMSE")
        assert [m.step for m in history] == [2, 3]
        saved = pd.read_csv(curves_run / f"data/06_models/{name}/training_history.csv")
        assert [m.value for m in history] == pytest.approx(saved["test_median_RMSE"].dropna().tolist())


def test_curve_figure_convergence_table_and_report(curves_run):
    reports = curves_run / "data/08_reporting/global_vs_local"
    assert (reports / "learning_curves.png").stat().st_size > 10_000
    table = pd.read_csv(reports / "convergence.csv")
    assert sorted(table.dropna(subset=["converged"])["model"]) == ["global", "local_F", "local_K"]
    assert table.dropna(subset=["converged"])["converged"].all()  # tolerance 1.0 m3/m3: anything converges
    report = (reports / "paper_comparison.md").read_text()
    assert "**All models converged** (tolerance ±1" in report
    assert "`eval_every`: 2" in report and "`optimizer`: adadelta" in report
