"""``ungauged_regions`` end to end through a real Kedro session, on a tiny configuration."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from scipy import stats

from tests.conftest import TINY
from tests.kedro_project import copy_project, inside, run_pipeline, tracking_uri

REPORTS = "data/08_reporting/ungauged_regions"


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("ungauged") / "project")
    with inside(project):
        with redirect_stdout(io.StringIO()) as printed:
            run_pipeline(project, "ungauged_regions", TINY)
        (project / "printed.txt").write_text(printed.getvalue())
        yield project


def _sets(project) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in (project / "data/05_model_input").glob("*/train_sites.json")}


def test_no_heldout_model_sees_a_site_of_its_own_regions(finished_run):
    sets = {name: s for name, s in _sets(finished_run).items() if name.startswith("heldout_")}
    regions = pd.read_csv(finished_run / "data/03_primary/site_regions.csv", dtype=str).set_index("site")["region"]
    assert sorted(sets) == ["heldout_A_G_M", "heldout_B_H_N", "heldout_C_I_O", "heldout_D_J_P", "heldout_E_K_Q",
                            "heldout_F_L_R"]  # conf/base: 6 folds
    for name, record in sets.items():
        assert not set(regions[record["sites"]]) & set(record["held_out"]), name
        assert set(regions[record["test_sites"]]) == set(record["held_out"])
        assert len(record["sites"]) + len(record["test_sites"]) == regions.notna().sum()
        model = pd.read_csv(finished_run / f"data/07_model_output/{name}/site_metrics.csv", dtype={"site": str})
        assert sorted(model["site"]) == sorted(record["test_sites"])


def test_each_region_is_predicted_by_its_donors_local_model(finished_run):
    donors = pd.read_csv(finished_run / f"{REPORTS}/donors.csv", dtype=str)
    assert set(donors["donor"]) <= {"F", "K"}  # TINY: only F and K have enough sites for a local model
    assert donors.set_index("region").loc["F", "donor"] == "K"
    metrics = pd.read_csv(finished_run / "data/07_model_output/ungauged_regions/donor_site_metrics.csv",
                          dtype={"site": str, "region": str, "donor": str})
    assert len(metrics) == 60 and metrics["RMSE"].notna().all()
    assert (metrics["region"] != metrics["donor"]).all()


def test_the_pooled_row_is_scipys_wilcoxon_on_the_same_pairs(finished_run):
    table = pd.read_csv(finished_run / f"{REPORTS}/comparison.csv", dtype={"region": str})
    pooled = table[(table["region"] == "All")].set_index("pair")
    assert list(pooled.index) == ["held-out vs donor", "global vs held-out", "local vs donor"]
    heldout = pd.concat(pd.read_csv(p, dtype={"site": str}) for p in
                        (finished_run / "data/07_model_output").glob("heldout_*/site_metrics.csv")).set_index("site")
    donor = pd.read_csv(finished_run / "data/07_model_output/ungauged_regions/donor_site_metrics.csv",
                        dtype={"site": str}).set_index("site")
    both = heldout["RMSE"].to_frame("a").join(donor["RMSE"].rename("b"), how="inner").dropna()
    row = pooled.loc["held-out vs donor"]
    assert row["RMSE_N"] == len(both) == 60
    assert row["RMSE_p"] == pytest.approx(stats.wilcoxon(both["a"], both["b"]).pvalue, rel=1e-9)
    assert row["RMSE_share_a_better"] == pytest.approx((both["a"] < both["b"]).mean())
    assert row["RMSE_median_a"] == pytest.approx(both["a"].median())
    assert pooled.loc["local vs donor", "RMSE_N"] == 12  # the sites of F and K, the regions with a local model


def test_reports_figures_and_the_verdict_are_written(finished_run):
    report = (finished_run / f"{REPORTS}/report.md").read_text()
    assert "Where a region has no gauges" in report and "| held-out vs donor" in report
    assert "## Donors" in report and "same level I" in report
    for figure in ("boxplots.png", "difference_map.png", "learning_curves.png", "sites_map.png"):
        assert (finished_run / REPORTS / figure).stat().st_size > 10_000, figure


def test_mlflow_has_one_parent_with_a_nested_run_per_trained_model(finished_run):
    client = MlflowClient(tracking_uri=tracking_uri(finished_run))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert len(parents) == 1 and parents[0].data.tags["pipeline"] == "ungauged_regions"
    children = sorted(r.data.tags["model"] for r in runs
                      if r.data.tags.get("mlflow.parentRunId") == parents[0].info.run_id)
    assert children == ["global", "heldout_A_G_M", "heldout_B_H_N", "heldout_C_I_O", "heldout_D_J_P",
                        "heldout_E_K_Q", "heldout_F_L_R", "local_F", "local_K"]
    pooled = pd.read_csv(finished_run / f"{REPORTS}/comparison.csv").query("region == 'All'").set_index("pair")
    metrics = parents[0].data.metrics  # the pooled rows, to compare runs in the MLflow UI
    assert metrics["ungauged_regions.held-out_vs_donor.RMSE_share_a_better"] == pytest.approx(
        pooled.loc["held-out vs donor", "RMSE_share_a_better"])
    artifacts = {a.path for a in client.list_artifacts(parents[0].info.run_id, "reports/ungauged_regions")}
    assert "reports/ungauged_regions/report.md" in artifacts


def test_the_run_ends_with_the_summary_of_its_report(finished_run):
    printed = (finished_run / "printed.txt").read_text()
    assert "# Ungauged regions (soil_moisture): held-out model vs donor region" in printed
    assert "| held-out vs donor" in printed and "Reports: data/08_reporting/ungauged_regions" in printed
    assert "mlflow ui --backend-store-uri" in printed
