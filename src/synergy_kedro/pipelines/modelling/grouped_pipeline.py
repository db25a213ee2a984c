"""A group of models trained in one node (``training.grouped: true``), then predicted and evaluated one by one.

The per-model template (:mod:`.pipeline`) trains each namespace in its own node. With grouping, one
node fits all models of a group at once (:func:`.nodes.train_group`) and writes every
namespace's own ``<ns>.model`` and ``<ns>.training_history``; prediction and evaluation stay the
template's nodes under each namespace. The catalog, the MLflow hooks and ``kedro viz`` therefore
see the same datasets per model either way: viz draws one training node with an edge from each
model's ``train_sites`` and to each model's ``model``/``training_history``.

The group checkpoints as one (``<group>.checkpoint``, the node's name under its namespace, e.g.
``data/06_models/train_local_models_grouped/checkpoint.pt``): a killed grouped run resumes after its
last saved epoch, as a single model does.
"""

from __future__ import annotations

from collections.abc import Sequence

from kedro.pipeline import Pipeline, node, pipeline

from synergy_kedro.pipelines.named_partial import named_partial

from .nodes import train_group
from .pipeline import SHARED_INPUTS, model_template

GROUP_OUTPUTS = ("model", "training_history", "site_curves")


def group_training_node(namespaces: Sequence[str], name: str, training: str = "params:training",
                          namespace: str | None = None):
    """One node that trains the models of ``namespaces`` together; outputs each one's model and history."""
    namespaces = list(namespaces)
    func = named_partial(train_group, namespaces=namespaces)
    group = f"{namespace}.{name}" if namespace else name
    return node(func,
                ["model_inputs", "params:features", "params:target", "params:periods", training,
                 f"{group}.checkpoint", "canonical_dataset", "normalisation_stats", "params:evaluation",
                 "run_identity", *(f"{ns}.train_sites" for ns in namespaces)],
                {f"{ns}.{d}": f"{ns}.{d}" for ns in namespaces for d in GROUP_OUTPUTS},
                name=name, namespace=namespace)


def evaluation_only(namespace: str) -> Pipeline:
    """The template's predict → evaluate nodes under ``namespace`` (its model comes from a group)."""
    template = model_template().only_nodes("predict", "evaluate")
    parameters = {p for p in template.inputs() if p.startswith("params:")}
    return pipeline(template, namespace=namespace, inputs=SHARED_INPUTS & template.inputs(), parameters=parameters)


def create_pipeline(namespaces: Sequence[str], name: str, training: str = "params:training",
                    namespace: str | None = None) -> Pipeline:
    """Train ``namespaces`` in one node named ``name`` (under ``namespace`` in viz); predict and evaluate each.

    ``training`` names the parameter block with the training settings, as in
    :func:`.pipeline.create_pipeline`.
    """
    train = Pipeline([group_training_node(namespaces, name, training, namespace)])
    return sum((evaluation_only(ns) for ns in namespaces), train)
