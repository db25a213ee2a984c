from kedro.pipeline import Pipeline, node

from .nodes import build_model_inputs, fit_normalisation


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline([
        node(fit_normalisation,
             ["canonical_dataset", "site_regions", "params:features", "params:target", "params:periods"],
             "normalisation_stats", name="fit_normalisation"),
        node(build_model_inputs, ["canonical_dataset", "normalisation_stats"], "model_inputs", name="build_model_inputs"),
    ])
