"""Reads the global_vs_local reports of a ``paper`` run and a ``hydrodl`` run and sets them side by side.

The two runs are ordinary ``kedro run --pipeline global_vs_local`` runs: the ``paper`` one in the
environment's output folder, the ``hydrodl`` one in ``<outputs>/procedure_hydrodl`` (``--params
outputs=…``); ``kedro compare-procedures`` makes both and then runs this pipeline.
"""

from kedro.pipeline import Pipeline, node

from synergy_kedro.evaluation.procedure_comparison import compare_procedures

PROCEDURES = ("paper", "hydrodl")


def create_pipeline(**kwargs) -> Pipeline:
    inputs = ["params:target", "params:evaluation"]
    for procedure in PROCEDURES:
        inputs += [f"procedure_{procedure}.{name}" for name in ("comparison", "budget", "verdict_vs_budget")]
    return Pipeline([node(compare_procedures, inputs,
                          ["procedure_comparison_table", "procedure_comparison_markdown",
                           "procedure_comparison_figure"], name="compare_procedures")])
