"""The per-model template: train → predict → per-site metrics.

Stamped out once per model under a namespace (``global``, ``local_A`` …) so every model has its
own datasets (``<namespace>.model`` …, matched by the catalog's dataset factories) and its own
nodes in ``kedro viz``.
"""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import evaluate_model, predict_model, train_model

SHARED_INPUTS = {"model_inputs", "canonical_dataset", "normalisation_stats", "run_identity"}
SHARED_PARAMETERS = {"params:features", "params:target", "params:periods", "params:training", "params:evaluation"}


def model_template(training: str = "params:training") -> Pipeline:
    return Pipeline([
        node(train_model,
             ["model_inputs", "train_sites", "params:features", "params:target", "params:periods", training,
              "checkpoint", "canonical_dataset", "normalisation_stats", "params:evaluation", "run_identity"],
             ["model", "training_history", "site_curves"], name="train"),
        node(predict_model,
             ["model_inputs", "canonical_dataset", "model", "train_sites", "normalisation_stats", "params:periods"],
             "predictions", name="predict"),
        node(evaluate_model, ["predictions", "params:evaluation"], "site_metrics", name="evaluate"),
    ])


def create_pipeline(namespace: str, training: str = "params:training", **kwargs) -> Pipeline:
    """One model's pipeline under ``namespace``; shared data and parameters stay un-prefixed.

    ``training`` names the training settings: the ``params:training`` block, or a shared dataset
    (the second experiment's ``training`` with its overrides), so an experiment can train its many
    models with its own budget.
    """
    parameters = {name: name for name in SHARED_PARAMETERS if name != "params:training"}
    if training.startswith("params:"):
        parameters[training] = training
        inputs = SHARED_INPUTS
    else:
        inputs = SHARED_INPUTS | {training}
    return pipeline(model_template(training), namespace=namespace, inputs=inputs, parameters=parameters)
