"""The first experiment's verdict under both training procedures, side by side with the paper's.

The paper's code trains a small region's model with far fewer updates than the global model; the
hydroDL procedure gives every model about the same number per epoch. Set beside each other, the
two verdicts say how much of the paper's synergy is data and how much is training budget.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from matplotlib.figure import Figure

from synergy_kedro.core.parameters import Evaluation
from synergy_kedro.evaluation.budgets import verdict_vs_budget_figure
from synergy_kedro.evaluation.paper_results import GLOBAL_VS_LOCAL
from synergy_kedro.evaluation.reports import paper_share, paper_value, verdict

PROCEDURE_NOTES = {
    "paper": "as the code that made the paper's figures: no batch cap, a region's updates shrink with its size",
    "hydrodl": "as mhpi/hydroDL since 2021: batch capped at the site count, equal updates per epoch",
}


def _range(values: pd.Series) -> str:
    values = values.dropna()
    if values.empty:
        return "–"
    return f"{values.median():,.0f} ({values.min():,.0f}–{values.max():,.0f})"


def procedure_rows(tables: Mapping[str, pd.DataFrame], budgets: Mapping[str, pd.DataFrame], target: str,
                   metrics: list[str]) -> pd.DataFrame:
    """One row per procedure and metric: budgets, pooled medians, share global better, p; then the paper's."""
    rows = []
    for procedure, table in tables.items():
        pooled = table.set_index("region").loc["All"]
        budget = budgets[procedure]
        glob = budget[budget["model"] == "global"]
        local = budget[budget["model"] != "global"]
        for m in metrics:
            rows.append({
                "procedure": procedure, "metric": m, "sites": int(pooled[f"{m}_N"]),
                "global updates": f"{int(glob['updates'].iloc[0]):,}" if len(glob) else "–",
                "global batch": f"{int(glob['batch_size'].iloc[0])}" if len(glob) else "–",
                "local updates, median (range)": _range(local["updates"]),
                "local batch, median (range)": _range(local["batch_size"]),
                "median global": f"{pooled[f'{m}_median_global']:.3f}",
                "median local": f"{pooled[f'{m}_median_local']:.3f}",
                "global better": f"{pooled[f'{m}_share_global_better']:.0%}",
                "Wilcoxon p": f"{pooled[f'{m}_p']:.1e}"})
    paper = GLOBAL_VS_LOCAL.get(target, {})
    for m in metrics:
        if f"{m}_global" in paper:
            rows.append({"procedure": "Fang et al. (2022)", "metric": m, "sites": "–", "global updates": "–",
                         "global batch": "–", "local updates, median (range)": "–",
                         "local batch, median (range)": "–", "median global": paper_value(paper, m, "global"),
                         "median local": paper_value(paper, m, "local"), "global better": paper_share(paper, m),
                         "Wilcoxon p": "–"})
    return pd.DataFrame(rows)


def compare_procedures(target: str, evaluation: Evaluation, paper_table: pd.DataFrame, paper_budget: pd.DataFrame,
                       paper_curve: pd.DataFrame, hydrodl_table: pd.DataFrame, hydrodl_budget: pd.DataFrame,
                       hydrodl_curve: pd.DataFrame) -> tuple[pd.DataFrame, str, Figure]:
    """The two runs' pooled tables and verdicts in one table, one markdown page and one figure."""
    metrics = evaluation.metrics_for(target)
    primary = evaluation.primary_metric_for(target)
    tables = {"paper": paper_table, "hydrodl": hydrodl_table}
    budgets = {"paper": paper_budget, "hydrodl": hydrodl_budget}
    rows = procedure_rows(tables, budgets, target, metrics)
    lines = [f"# Global vs local ({target}) under both training procedures", ""]
    for procedure, table in tables.items():
        pooled = table.set_index("region").loc["All"]
        sentence = verdict(pooled[f"{primary}_share_global_better"], pooled[f"{primary}_p"], "the global model",
                           "the local models")
        lines.append(f"- **{procedure}** ({PROCEDURE_NOTES[procedure]}): the paper's direction **{sentence}** on "
                     f"{primary}.")
    lines += ["", rows.to_markdown(index=False, disable_numparse=True), "",
              "Budgets: updates over all epochs (effective batch after any cap). The figure "
              "`verdict_vs_budget.png` shows, for both procedures, the share of sites where the final global "
              "model beats the local models as the local models train (their learning curves, "
              "`training.eval_every`).", ""]
    glob = {p: float(b.loc[b["model"] == "global", "updates"].iloc[0]) if (b["model"] == "global").any() else float("nan")
            for p, b in budgets.items()}
    figure = verdict_vs_budget_figure({"paper": paper_curve, "hydrodl": hydrodl_curve}, glob, primary,
                                      f"Global vs local ({target}): the verdict against the local models' budget")
    return rows, "\n".join(lines), figure
