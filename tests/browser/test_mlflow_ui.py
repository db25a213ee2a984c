"""The MLflow UI on the run's ``mlflow.db``: the parent run of the ``kedro run`` with a nested run per model, each
with its network as a logged model and (``register_models: true``) a version of a registered model."""

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


@pytest.fixture(scope="module")
def logged_models(mlflow_url, runs) -> dict:
    """The experiment's logged models (model name → info), from the REST API."""
    found = http_post_json(f"{mlflow_url}/api/2.0/mlflow/logged-models/search",
                           {"experiment_ids": [runs["experiment_id"]]})["models"]
    return {m["info"]["name"]: m["info"] for m in found}


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


def test_rest_api_has_a_ready_logged_model_per_nested_run(runs, logged_models):
    assert set(logged_models) == TRAINED
    for name, info in logged_models.items():
        assert info["source_run_id"] == runs["children"][name]
        assert info["status"] == "LOGGED_MODEL_READY"


def test_a_nested_runs_page_shows_its_logged_model_and_training_data(mlflow_url, runs, logged_models, new_page,
                                                                    artifacts):
    model = logged_models["local_F"]
    page = new_page()
    page.goto(f"{mlflow_url}/#/experiments/{runs['experiment_id']}/runs/{runs['children']['local_F']}")
    page.get_by_text("Logged models (1)").wait_for()
    row = page.locator("[role=row]", has_text="Ready")  # the model's row in the run's logged-models table
    link = row.locator(f"a[href$='/models/{model['model_id']}']")
    link.wait_for()
    assert link.inner_text() == "local_F"
    assert page.get_by_text("virtual_conus.local_F").count() >= 1  # the training data, under Datasets
    _close_assistant_panel(page)
    page.get_by_text("Logged models (1)").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "mlflow_nested_run_logged_model.png")

    link.click()  # the logged model's own page
    page.wait_for_url(f"**/models/{model['model_id']}")
    page.get_by_text("About this logged model").wait_for()
    assert page.get_by_text(model["model_id"]).count() >= 1
    assert page.get_by_text("Ready", exact=True).first.is_visible()
    page.screenshot(path=artifacts / "mlflow_logged_model.png")


def test_models_tab_lists_every_trained_model(mlflow_url, runs, logged_models, new_page, artifacts):
    page = new_page()
    # The "Model training" view: the GenAI view, MLflow 3's default, calls the same tab "Agent versions".
    page.goto(f"{mlflow_url}/#/experiments/{runs['experiment_id']}/models?workflowType=machine_learning")
    page.get_by_role("heading", name="Models", exact=True).wait_for()
    for info in logged_models.values():
        link = page.locator(f"a[href$='/models/{info['model_id']}']").first
        link.wait_for()
        assert link.inner_text() == info["name"]
    _close_assistant_panel(page)
    page.screenshot(path=artifacts / "mlflow_models_tab.png")


@pytest.fixture(scope="module")
def registered(mlflow_url) -> dict:
    """Registered model name → its versions, from the REST API (``register_models: true`` in the run's conf/local)."""
    found = json.loads(http_get(f"{mlflow_url}/api/2.0/mlflow/registered-models/search?max_results=100"))
    out = {}
    for model in found.get("registered_models", []):
        query = urllib.parse.urlencode({"filter": f"name='{model['name']}'"})
        out[model["name"]] = json.loads(http_get(f"{mlflow_url}/api/2.0/mlflow/model-versions/search?{query}"))[
            "model_versions"]
    return out


def test_each_trained_model_is_version_1_of_a_registered_model_from_its_nested_run(runs, registered, logged_models):
    assert set(registered) == {f"{EXPERIMENT}-soil_moisture-{name}" for name in TRAINED}
    for name in TRAINED:
        (version,) = registered[f"{EXPERIMENT}-soil_moisture-{name}"]
        assert version["version"] == "1" and version["run_id"] == runs["children"][name]
        assert version["source"] == f"models:/{logged_models[name]['model_id']}"


def test_the_registry_page_shows_a_registered_model_and_its_version_links_the_nested_run(
        mlflow_url, runs, registered, new_page, artifacts):
    name = f"{EXPERIMENT}-soil_moisture-local_F"
    page = new_page()
    page.goto(f"{mlflow_url}/#/models")
    page.get_by_role("link", name=name, exact=True).wait_for()
    assert all(page.get_by_role("link", name=other, exact=True).count() == 1 for other in registered)
    _close_assistant_panel(page)
    page.screenshot(path=artifacts / "mlflow_registered_models.png")

    page.goto(f"{mlflow_url}/#/models/{name}/versions/1")
    page.get_by_text("Version 1").first.wait_for()
    run_link = page.locator(f"a[href*='{runs['children']['local_F']}']").first
    run_link.wait_for()
    assert run_link.inner_text() == "local_F"  # the nested run's name, linking to it
    _close_assistant_panel(page)
    page.screenshot(path=artifacts / "mlflow_registered_model_version.png")


def _close_assistant_panel(page) -> None:
    """MLflow 3's assistant side panel only takes room in the screenshot; close it where there is one."""
    panel_close = page.get_by_role("button", name="Close")
    if panel_close.count() == 1 and panel_close.is_visible():
        panel_close.click()
