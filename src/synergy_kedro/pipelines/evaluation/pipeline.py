from kedro.pipeline import Pipeline, node

from .nodes import compare_global_vs_local


def global_vs_local_comparison(model_names: list[str]) -> Pipeline:
    """Compares the ``global`` model with every ``local_*`` model on the same sites."""
    local = [f"{name}.site_metrics" for name in model_names if name != "global"]
    return Pipeline([
        node(compare_global_vs_local,
             ["site_regions", "params:evaluation", "params:target", "global.site_metrics", *local],
             ["global_vs_local_table", "global_vs_local_markdown", "global_vs_local_boxplots"],
             name="compare_global_vs_local"),
    ])
