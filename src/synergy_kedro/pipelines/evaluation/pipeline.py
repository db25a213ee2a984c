from kedro.pipeline import Pipeline, node

from synergy_kedro.pipelines.named_partial import named_partial
from synergy_kedro.regions.experiment_design import SETS, VARIANTS, all_namespaces, namespace

from . import map_nodes
from .nodes import (
    compare_global_vs_local,
    compare_similar_vs_dissimilar,
    global_vs_local_paper_report,
    learning_curves,
    seed_variability,
    similar_vs_dissimilar_paper_report,
    similar_vs_dissimilar_verdict_vs_budget,
    training_budget,
    verdict_vs_budget,
)


def learning_curves_node(experiment: str, names: list[str], title: str, groups: dict[str, str] | None = None,
                         styles: dict[str, str] | None = None):
    """``<experiment>_learning_curves`` (figure) and ``<experiment>_convergence`` from the models' histories."""
    func = named_partial(learning_curves, names=names, title=title, groups=groups, styles=styles)
    return node(func, ["params:evaluation", "params:target", *(f"{name}.training_history" for name in names)],
                [f"{experiment}_learning_curves", f"{experiment}_convergence"], name=f"{experiment}_learning_curves")


def sites_map_node(experiment: str, title: str):
    """``<experiment>_sites_map``: the run's sites by sub-region, over the EPA polygons where the env has them."""
    func = named_partial(map_nodes.sites_map, title=title)
    return node(func, ["site_regions", "params:target", "ecoregion_polygons"], f"{experiment}_sites_map",
                name=f"{experiment}_sites_map")


def global_vs_local_comparison(model_names: list[str]) -> Pipeline:
    """Compares ``global`` with every ``local_*`` model on the same sites; spread over seed repeats; report.

    ``model_names`` may hold seed repeats (``seed<r>.<model>``); the table and figures use the
    main seed, the seed table all of them.
    """
    main = [name for name in model_names if "." not in name]
    local_models = [name for name in main if name != "global"]
    local = [f"{name}.site_metrics" for name in local_models]
    spread = named_partial(seed_variability, names=model_names)
    return Pipeline([
        node(named_partial(training_budget, names=main), [f"{name}.training_history" for name in main],
             "global_vs_local_budget", name="global_vs_local_budget"),
        node(compare_global_vs_local,
             ["site_regions", "params:evaluation", "params:target", "params:partitioning", "global_vs_local_budget",
              "global.site_metrics", *local],
             ["global_vs_local_table", "global_vs_local_markdown", "global_vs_local_boxplots"],
             name="compare_global_vs_local"),
        node(named_partial(verdict_vs_budget, names=local_models),
             ["params:evaluation", "params:target", "global_vs_local_budget", "global.site_metrics",
              *(f"{name}.site_curves" for name in local_models)],
             ["global_vs_local_verdict_vs_budget", "global_vs_local_verdict_vs_budget_figure"],
             name="global_vs_local_verdict_vs_budget"),
        node(spread, ["site_regions", "params:evaluation", "params:target", "params:partitioning",
                      *(f"{name}.site_metrics" for name in model_names)],
             "global_vs_local_seeds", name="global_vs_local_seed_variability"),
        learning_curves_node("global_vs_local", main, "Learning curves, global vs local"),
        sites_map_node("global_vs_local", "Sites by sub-region"),
        node(map_nodes.difference_map,
             ["site_regions", "params:evaluation", "params:target", "ecoregion_polygons", "global.site_metrics",
              *local],
             "global_vs_local_difference_map", name="global_vs_local_difference_map"),
        node(global_vs_local_paper_report,
             ["global_vs_local_table", "global_vs_local_seeds", "params:target", "params:training", "params:periods",
              "params:ingestion", "global_vs_local_convergence", "params:evaluation", "global_vs_local_budget",
              "global_vs_local_verdict_vs_budget", "ingestion_checks"],
             "global_vs_local_paper_report", name="global_vs_local_paper_report"),
    ])


def similar_vs_dissimilar_comparisons(rois: list[str]) -> Pipeline:
    """One comparison per variant (all data / size controlled) over its ROIs' four sets."""
    everything = all_namespaces(rois)
    nodes = [node(named_partial(training_budget, names=everything), [f"{ns}.training_history" for ns in everything],
                  "similar_vs_dissimilar_budget", name="similar_vs_dissimilar_budget")]
    for variant in VARIANTS:
        namespaces = [ns for ns in everything if ns.split(".")[1] == variant]
        func = named_partial(compare_similar_vs_dissimilar, variant=variant, namespaces=namespaces)
        nodes.append(node(
            func,
            ["site_regions", "params:evaluation", "params:target", "params:similar_vs_dissimilar",
             "similar_vs_dissimilar_budget", *(f"{ns}.site_metrics" for ns in namespaces)],
            [f"svd_{variant}_table", f"svd_{variant}_markdown", f"svd_{variant}_boxplots"],
            name=f"compare_similar_vs_dissimilar_{variant}"))
        roi_map = named_partial(map_nodes.roi_map, variant=variant, namespaces=namespaces)
        nodes.append(node(
            roi_map,
            ["site_regions", "params:target", "params:similar_vs_dissimilar", "ecoregion_polygons",
             *(f"{ns}.train_sites" for ns in namespaces)],
            f"svd_{variant}_roi_map", name=f"svd_{variant}_roi_map"))
    nodes.append(sites_map_node("similar_vs_dissimilar", "Sites by sub-region"))
    design = [(namespace(v, r, s), v, s) for v in VARIANTS for r in rois for s in SETS]
    nodes.append(learning_curves_node(
        "similar_vs_dissimilar", [ns for ns, _, _ in design], "Learning curves, similar vs dissimilar",
        groups={ns: s if s == "local" else f"+{s}" for ns, _, s in design},
        styles={ns: v.replace("_", " ") for ns, v, _ in design}))
    nodes.append(node(
        named_partial(similar_vs_dissimilar_verdict_vs_budget, rois=list(rois)),
        ["params:evaluation", "params:target", "similar_vs_dissimilar_budget",
         *(f"{namespace('all_data', r, 'dissimilar')}.site_metrics" for r in rois),
         *(f"{namespace('all_data', r, 'local')}.site_curves" for r in rois)],
        ["similar_vs_dissimilar_verdict_vs_budget", "similar_vs_dissimilar_verdict_vs_budget_figure"],
        name="similar_vs_dissimilar_verdict_vs_budget"))
    nodes.append(node(similar_vs_dissimilar_paper_report,
                      [*(f"svd_{variant}_table" for variant in VARIANTS), "params:target",
                       "params:similar_vs_dissimilar", "similar_vs_dissimilar_training", "params:periods",
                       "params:ingestion", "similar_vs_dissimilar_convergence", "params:evaluation",
                       "similar_vs_dissimilar_budget", "ingestion_checks"],
                      "similar_vs_dissimilar_paper_report", name="similar_vs_dissimilar_paper_report"))
    return Pipeline(nodes)
