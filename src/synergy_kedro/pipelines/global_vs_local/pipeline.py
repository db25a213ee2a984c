"""The first experiment: one model on all regions vs one model per sub-region (A–R).

With ``training.grouped: true`` the local models are trained together in one node (one stacked
model, see :mod:`synergy_kedro.model.grouped`); the global model trains alone either way.
"""

from kedro.pipeline import Pipeline, node

from synergy_kedro.pipelines import evaluation, feature_engineering, ingestion, modelling, partitioning
from synergy_kedro.pipelines.modelling import grouped_pipeline
from synergy_kedro.pipelines.partitioning.nodes import global_vs_local_site_sets
from synergy_kedro.regions.schemes import model_names, seed_repeat_names


def site_sets(names: list[str]) -> Pipeline:
    return Pipeline([
        node(global_vs_local_site_sets, ["site_regions", "params:partitioning", "params:global_vs_local"],
             {name: f"{name}.train_sites" for name in names}, name="global_vs_local_site_sets"),
    ])


def create_pipeline(regions: list[str], source: str = "virtual_conus", grouped: bool = False,
                    seed_repeats: int = 1, **kwargs) -> Pipeline:
    """``global`` plus ``local_<region>`` for every region of the partitioning scheme.

    ``grouped`` trains the local models in one node; ``seed_repeats`` = k adds ``seed<r>.<model>``
    (r = 1…k−1), the same models with shifted seeds. ``register_pipelines`` passes the run's values.
    """
    names = model_names(regions)
    if grouped:
        local = [name for name in names if name != "global"]
        models = (modelling.pipeline.create_pipeline(namespace="global")
                  + grouped_pipeline.create_pipeline(local, name="train_local_models_grouped"))
    else:
        models = sum((modelling.pipeline.create_pipeline(namespace=name) for name in names), Pipeline([]))
    repeats = seed_repeat_names(names, seed_repeats)
    models += sum((modelling.pipeline.create_pipeline(namespace=name) for name in repeats), Pipeline([]))
    return (ingestion.pipeline.create_pipeline(source) + partitioning.pipeline.create_pipeline()
            + feature_engineering.pipeline.create_pipeline() + site_sets(names + repeats) + models
            + evaluation.pipeline.global_vs_local_comparison(names + repeats))
