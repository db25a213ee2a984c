"""``kedro viz run`` for the project: the flowchart shows one namespace per model and, expanded, its nodes."""

from __future__ import annotations

import json

from tests.browser.conftest import http_get

SUBREGIONS = "ABCDEFGHIJKLMNOPQR"
# Kedro-Viz shows a tour of new features on a first visit; it would cover part of the flowchart.
NO_FEATURE_HINTS = "window.localStorage.setItem('KedroViz', JSON.stringify({showFeatureHints: false}))"


def _main(viz_url: str) -> dict:
    return json.loads(http_get(f"{viz_url}/api/main", timeout=30))


def _task_id(main: dict, full_name: str) -> str:
    return next(n["id"] for n in main["nodes"] if n["type"] == "task" and n.get("full_name") == full_name)


def test_api_has_a_modular_pipeline_and_a_train_node_per_model(viz_url):
    main = _main(viz_url)
    models = {"global", *(f"local_{r}" for r in SUBREGIONS)}
    assert models <= set(main["modular_pipelines"])
    tasks = {n.get("full_name") for n in main["nodes"] if n["type"] == "task"}
    assert {f"{m}.{step}" for m in models for step in ("train", "predict", "evaluate")} <= tasks
    assert "compare_global_vs_local" in tasks
    assert "global_vs_local" in {p["id"] for p in main["pipelines"]}


def test_flowchart_shows_the_namespaces_and_expands_to_the_per_model_nodes(viz_url, new_page, artifacts):
    global_train = _task_id(_main(viz_url), "global.train")
    page = new_page(NO_FEATURE_HINTS)
    page.goto(f"{viz_url}/?pid=global_vs_local")
    _dismiss_version_banner(page)

    namespaces = page.locator(".pipeline-node--modularPipeline")
    namespaces.first.wait_for()
    labels = set(namespaces.all_text_contents())
    assert {"global", "local_A", "local_F", "local_K", "local_R"} <= labels, sorted(labels)
    assert "compare_global_vs_local" in page.locator(".pipeline-node--task").all_text_contents()
    node = page.locator(f".pipeline-node[data-id='{global_train}']")
    assert node.count() == 0, "the namespaces start collapsed"
    page.screenshot(path=artifacts / "kedro_viz_flowchart.png")

    # A click on a namespace expands it into its nodes: global's train, predict and evaluate.
    page.locator(".pipeline-node--modularPipeline[data-node-fullname='global']").click()
    node.wait_for()
    assert node.text_content() == "train"
    assert {"train", "predict", "evaluate"} <= set(page.locator(".pipeline-node--task").all_text_contents())
    page.screenshot(path=artifacts / "kedro_viz_global_expanded.png")

    # Focus mode on the namespace, legible in a screenshot: the model's own datasets and nodes.
    page.goto(f"{viz_url}/?pid=global_vs_local&fid=global&expandAllPipelines=true")
    _dismiss_version_banner(page)
    page.locator(f".pipeline-node[data-id='{global_train}']").wait_for()
    labels = set(page.locator(".pipeline-node").all_text_contents())
    assert {"train", "predict", "evaluate", "global.model", "global.site_metrics"} <= labels, sorted(labels)
    page.screenshot(path=artifacts / "kedro_viz_global_focus.png")


def _dismiss_version_banner(page) -> None:
    """Offline, Kedro-Viz's "new version" banner may show (and cover the top right of a screenshot)."""
    dismiss = page.get_by_role("button", name="Dismiss")
    try:
        dismiss.first.click(timeout=3_000)
    except Exception:  # noqa: BLE001 - no banner, nothing to dismiss
        pass
