"""The MLflow UI on the run's ``mlflow.db``: the parent run of the ``kedro run`` with a nested run per model."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.browser.conftest import http_get, http_post_json

EXPERIMENT = "synergy_kedro"
TRAINED = {"global", "local_F", "local_K"}  # the models the tiny configuration trains


@pytest.fixture(scope="module")
def runs(mlflow_url) -> dict:
    """The experiment's id, its parent run and its nested runs (model name → run id), from the REST API."""
    query = urllib.parse.urlencode({"experiment_name": EXPERIMENT})
    experiment = json.loads(http_get(f"{mlflow_url}/api/2.0/mlflow/experiments/get-by-name?{query}"))["experiment"]
    found = http_post_json(f"{mlflow_url}/api/2.0/mlflow/runs/search",
                           {"experiment_ids": [experiment["experiment_id"]], "max_results": 100})["runs"]
    tags = {r["info"]["run_id"]: {t["key"]: t["value"] for t in r["data"].get("tags", [])} for r in found}
    parents = [r for r in found if "mlflow.parentRunId" not in tags[r["info"]["run_id"]]]
    assert len(parents) == 1, [r["info"]["run_name"] for r in parents]
    parent = parents[0]["info"]
    children = {r["info"]["run_name"]: r["info"]["run_id"] for r in found
                if tags[r["info"]["run_id"]].get("mlflow.parentRunId") == parent["run_id"]}
    return {"experiment_id": experiment["experiment_id"], "parent": parent, "children": children, "tags": tags}


def test_rest_api_has_the_parent_run_and_a_nested_run_per_model(runs):
    assert runs["parent"]["run_name"] == "global_vs_local"
    assert runs["parent"]["status"] == "FINISHED"
    assert set(runs["children"]) == TRAINED
    for name, run_id in runs["children"].items():
        assert runs["tags"][run_id]["model"] == name


def test_runs_page_shows_the_parent_run_and_expands_to_the_nested_runs(mlflow_url, runs, new_page, artifacts):
    page = new_page()
    page.goto(f"{mlflow_url}/#/experiments/{runs['experiment_id']}/runs")

    def name_cell(run_id: str):
        # ag-grid renders a row once per column container; the run name lives in one of them.
        return page.locator(f"[role=row][row-id='{run_id}'] [col-id*='Run Name']")

    parent = name_cell(runs["parent"]["run_id"])
    parent.wait_for()
    assert "global_vs_local" in parent.inner_text()
    for run_id in runs["children"].values():
        assert name_cell(run_id).count() == 0, "nested runs are folded under their parent"
    _close_assistant_panel(page)
    page.screenshot(path=artifacts / "mlflow_runs.png")

    parent.locator("button").first.click()  # the +/- toggle in front of the parent's name
    for name, run_id in runs["children"].items():
        cell = name_cell(run_id)
        cell.wait_for()
        assert name in cell.inner_text()
    page.screenshot(path=artifacts / "mlflow_nested_runs.png")


def _close_assistant_panel(page) -> None:
    """MLflow 3's assistant side panel only takes room in the screenshot; close it where there is one."""
    panel_close = page.get_by_role("button", name="Close")
    if panel_close.count() == 1 and panel_close.is_visible():
        panel_close.click()
