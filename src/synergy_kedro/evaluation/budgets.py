"""What each model's verdict rests on: its training budget, and how the verdict moves with it.

Under the paper's procedure a region's updates per epoch shrink with its site count, so at equal
epochs the global model may have made a hundred times the updates of a small region's model. A
comparison says little without that number beside it; and with learning curves the same run can
show the share of sites where the final global model beats each local model as the local models
train, i.e. how much of the verdict is the budget.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from synergy_kedro.evaluation.comparisons import HIGHER_IS_BETTER, share_a_better, wilcoxon_p

BUDGET_COLUMNS = ["model", "batch_size", "updates_per_epoch", "epochs", "updates"]
CURVE_COLUMNS = ["model", "epoch", "updates", "sites", "share_global_better", "p"]


def budget_table(histories: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per trained model: its effective batch, updates per epoch (last epoch's), epochs and updates in all."""
    rows = [{"model": name, "batch_size": int(h["batch_size"].iloc[-1]),
             "updates_per_epoch": int(h["iterations"].iloc[-1]), "epochs": int(h["epoch"].iloc[-1]),
             "updates": int(h["iterations"].sum())}
            for name, h in histories.items() if len(h) and "iterations" in h]
    return pd.DataFrame(rows, columns=BUDGET_COLUMNS)


def spread(values: pd.Series) -> str:
    """"1,000" when all equal, else "median 600 (range 100–1,000)"."""
    if values.empty:
        return "–"
    if values.min() == values.max():
        return f"{int(values.iloc[0]):,}"
    return f"median {values.median():,.0f} (range {values.min():,}–{values.max():,})"


def budget_sentence(budget: pd.DataFrame, reference: str = "global", others: str = "local models") -> str:
    """One line a reader can check a verdict against, e.g. "global: 94,500 updates (batch 100) …"."""
    if budget.empty:
        return "Training budgets: no model trained."
    ref = budget[budget["model"] == reference]
    rest = budget[budget["model"] != reference]
    parts = []
    if len(ref):
        row = ref.iloc[0]
        parts.append(f"the {reference} model {int(row.updates):,} updates ({int(row.updates_per_epoch):,} per epoch "
                     f"× {int(row.epochs)} epochs, batch {int(row.batch_size)})")
    if len(rest):
        parts.append(f"the {len(rest)} {others} {spread(rest['updates'])} updates "
                     f"({spread(rest['updates_per_epoch'])} per epoch, batch {spread(rest['batch_size'])})")
    return "Training budgets: " + "; ".join(parts) + "."


def global_better(global_values: pd.Series, local_values: pd.Series, metric: str) -> tuple[int, float, float]:
    """Paired sites, share where the global value is better, Wilcoxon p (the comparison table's rules)."""
    paired = pd.concat([global_values.rename("g"), local_values.rename("l")], axis=1, join="inner").dropna()
    if paired.empty:
        return 0, np.nan, np.nan
    g, loc = paired["g"].to_numpy(), paired["l"].to_numpy()
    return len(paired), share_a_better(g, loc, metric), wilcoxon_p(g, loc)


def verdict_vs_budget(global_metrics: pd.DataFrame, curves: Mapping[str, pd.DataFrame], metric: str) -> pd.DataFrame:
    """The final global model against each local model at each scored epoch of the local model's training.

    ``curves``: per local model its per-site learning curve (``epoch``, ``updates``, ``site``,
    ``<metric>``). Rows per model and epoch, and ``All`` rows pooling every local model's sites at
    each epoch (``updates``: the local models' median there).
    """
    reference = global_metrics.set_index("site")[metric] if "site" in global_metrics else global_metrics[metric]
    rows, pooled = [], {}
    for name, curve in curves.items():
        if curve is None or curve.empty or metric not in curve:
            continue
        for (epoch, updates), at in curve.groupby(["epoch", "updates"]):
            local = at.set_index("site")[metric]
            n, share, p = global_better(reference, local, metric)
            rows.append({"model": name, "epoch": int(epoch), "updates": int(updates), "sites": n,
                         "share_global_better": share, "p": p})
            pooled.setdefault(int(epoch), []).append((int(updates), local))
    for epoch, parts in sorted(pooled.items()):
        local = pd.concat([series for _, series in parts])
        n, share, p = global_better(reference, local, metric)
        rows.append({"model": "All", "epoch": epoch, "updates": int(np.median([u for u, _ in parts])), "sites": n,
                     "share_global_better": share, "p": p, "updates_min": min(u for u, _ in parts),
                     "updates_max": max(u for u, _ in parts)})
    return pd.DataFrame(rows, columns=[*CURVE_COLUMNS, "updates_min", "updates_max"])


def verdict_vs_budget_figure(tables: Mapping[str, pd.DataFrame], global_updates: Mapping[str, float], metric: str,
                             title: str, reference: str = "the final global model",
                             others: str = "local models", line_label: str = "the global model's updates") -> Figure:
    """Share of sites where the final global model is better, against the local models' updates.

    ``tables``: :func:`verdict_vs_budget` per label (a procedure, or one run); thin lines are single
    local models, the thick line pools them (at their median updates); the dashed line is where the
    local models would have the global model's budget.
    """
    fig = Figure(figsize=(8, 5))
    ax = fig.subplots()
    colours = ["tab:red", "tab:blue", "tab:green", "tab:purple"]
    drawn = False
    for (label, table), colour in zip(tables.items(), colours, strict=False):
        if table is None or table.empty:
            continue
        drawn = True
        for _name, part in table[table["model"] != "All"].groupby("model"):
            ax.plot(part["updates"], part["share_global_better"], color=colour, alpha=0.25, lw=0.8)
        pooled = table[table["model"] == "All"]
        ax.plot(pooled["updates"], pooled["share_global_better"], color=colour, lw=2.5,
                label=f"{label}: all {others} (median updates)")
        if label in global_updates and np.isfinite(global_updates[label]):
            ax.axvline(global_updates[label], color=colour, ls="--", lw=1, label=f"{label}: {line_label}")
    ax.axhline(0.5, color="grey", lw=0.8)
    better = "higher" if HIGHER_IS_BETTER.get(metric) else "lower"
    ax.set_xlabel(f"updates of the {others.removesuffix('s')} (log scale)")
    ax.set_ylabel(f"share of sites where {reference} is better ({metric}, {better} is better)")
    ax.set_ylim(0, 1)
    if drawn:
        ax.set_xscale("log")
        ax.legend(fontsize=8, loc="best")
    else:
        ax.text(0.5, 0.5, "No learning curves: set training.eval_every to see the verdict against the budget.",
                ha="center", va="center", transform=ax.transAxes, wrap=True)
    ax.set_title(title)
    fig.tight_layout()
    return fig
