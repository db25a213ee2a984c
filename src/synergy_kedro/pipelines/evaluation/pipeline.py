from kedro.pipeline import Pipeline, node

from functools import partial, update_wrapper

from synergy_kedro.experiment_design import VARIANTS, all_namespaces

from .nodes import compare_global_vs_local, compare_similar_vs_dissimilar


def global_vs_local_comparison(model_names: list[str]) -> Pipeline:
    """Compares the ``global`` model with every ``local_*`` model on the same sites."""
    local = [f"{name}.site_metrics" for name in model_names if name != "global"]
    return Pipeline([
        node(compare_global_vs_local,
             ["site_regions", "params:evaluation", "params:target", "params:partitioning", "global.site_metrics",
              *local],
             ["global_vs_local_table", "global_vs_local_markdown", "global_vs_local_boxplots"],
             name="compare_global_vs_local"),
    ])


def similar_vs_dissimilar_comparisons(rois: list[str]) -> Pipeline:
    """One comparison per variant (all data / size controlled) over its ROIs' four sets."""
    nodes = []
    for variant in VARIANTS:
        namespaces = [ns for ns in all_namespaces(rois) if ns.split(".")[1] == variant]
        func = update_wrapper(partial(compare_similar_vs_dissimilar, variant=variant, namespaces=namespaces),
                              compare_similar_vs_dissimilar)
        nodes.append(node(
            func,
            ["site_regions", "params:evaluation", "params:target", "params:similar_vs_dissimilar",
             *(f"{ns}.site_metrics" for ns in namespaces)],
            [f"svd_{variant}_table", f"svd_{variant}_markdown", f"svd_{variant}_boxplots"],
            name=f"compare_similar_vs_dissimilar_{variant}"))
    return Pipeline(nodes)
