"""Learning curves and whether a model has converged.

A verdict on "pooled beats regional" means little if one side stopped while still learning. With
``training.eval_every`` = k each model's history holds its median test skill every k epochs
(:func:`synergy_kedro.model.training.train_lstm`); here those curves are drawn against updates
(not epochs: a small region's model makes fewer updates per epoch) and each model is called
converged when its primary metric's median moved by at most a stated tolerance over its last k
epochs. One k-epoch window is a weak test (AdaDelta's skill wanders); the figure shows the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

CURVE_PREFIX = "test_median_"
CONVERGENCE_COLUMNS = ["model", "updates", "epochs", "metric", "last", "change", "tolerance", "converged"]


def with_updates(history: pd.DataFrame) -> pd.DataFrame:
    """The history with the model's cumulative updates after each epoch (the curves' x axis)."""
    return history.assign(updates=history["iterations"].cumsum())


def evaluated(history: pd.DataFrame, metric: str) -> pd.DataFrame:
    """The rows of a history where ``metric`` was scored, with the model's cumulative updates."""
    column = CURVE_PREFIX + metric
    if history.empty or column not in history:
        return history.iloc[:0].assign(updates=[])
    rows = with_updates(history)
    return rows[rows[column].notna()]


def convergence_table(histories: Mapping[str, pd.DataFrame], metric: str, tolerance: float) -> pd.DataFrame:
    """Per model: the last median ``metric``, its change over the last evaluation interval, converged or not.

    ``converged`` is None where fewer than two points were scored (no curve: not assessed).
    """
    rows = []
    for name, history in histories.items():
        points = evaluated(history, metric)
        column = CURVE_PREFIX + metric
        if len(points) < 2:
            rows.append({"model": name, "updates": int(history["iterations"].sum()) if len(history) else 0,
                         "epochs": len(history), "metric": metric, "last": np.nan, "change": np.nan,
                         "tolerance": tolerance, "converged": None})
            continue
        last, previous = float(points[column].iloc[-1]), float(points[column].iloc[-2])
        change = last - previous
        rows.append({"model": name, "updates": int(points["updates"].iloc[-1]), "epochs": int(points["epoch"].iloc[-1]),
                     "metric": metric, "last": last, "change": change, "tolerance": tolerance,
                     "converged": bool(abs(change) <= tolerance)})
    return pd.DataFrame(rows, columns=CONVERGENCE_COLUMNS)


def convergence_summary(table: pd.DataFrame) -> str:
    """One paragraph for the report: global and local models converged or not, with the numbers."""
    if table.empty or table["converged"].isna().all():
        return ("**Convergence not assessed**: no learning curves were recorded (set `training.eval_every`). "
                "Read this verdict as that of models trained for the configured budget, not to convergence.")
    metric, tolerance = table["metric"].iloc[0], float(table["tolerance"].iloc[0])
    parts = []
    glob = table[table["model"] == "global"]
    if len(glob) and glob["converged"].notna().all():
        g = glob.iloc[0]
        parts.append(f"the global model's median {metric} changed by {g['change']:+.4f} over its last interval "
                     f"({'converged' if g['converged'] else 'still changing'})")
    local = table[(table["model"] != "global") & table["converged"].notna()]
    if len(local):
        worst = local.loc[local["change"].abs().idxmax()]
        parts.append(f"{int(local['converged'].sum())} of {len(local)} other models converged (largest change "
                     f"{worst['change']:+.4f}, {worst['model']})")
    assessed = table[table["converged"].notna()]
    all_converged = bool(assessed["converged"].all())
    head = ("**All models converged**" if all_converged else
            "**Not all models converged: the verdict comes from undertrained models**")
    return (f"{head} (tolerance ±{tolerance:g} in median test {metric} over the last evaluation interval): "
            + "; ".join(parts) + ". See `learning_curves.png`.")


LINE_STYLES = ("-", "--", ":", "-.")


def learning_curve_figure(histories: Mapping[str, pd.DataFrame], metrics: Sequence[str], title: str,
                          groups: Mapping[str, str] | None = None,
                          styles: Mapping[str, str] | None = None) -> Figure:
    """Training loss and each metric's median test skill against updates; ``global`` drawn bold.

    With many models a legend of names cannot be read (the second experiment has 48), so
    ``groups`` (model → label, e.g. its training set) colours the lines by label and ``styles``
    (model → label, e.g. its variant) sets their line style; the legend then lists the labels.
    """
    panels = ["loss", *[m for m in metrics if any(CURVE_PREFIX + m in h for h in histories.values())]]
    figure = Figure(figsize=(4.2 * len(panels), 3.6), layout="constrained")
    axes = figure.subplots(1, len(panels), squeeze=False)[0]
    colour, style = _line_colours(histories, groups), _line_styles(histories, styles)
    for ax, panel in zip(axes, panels, strict=False):
        for name, history in histories.items():
            if history.empty:
                continue
            points = with_updates(history) if panel == "loss" else evaluated(history, panel)
            column = "loss" if panel == "loss" else CURVE_PREFIX + panel
            bold = name == "global"
            ax.plot(points["updates"], points[column], color="black" if bold else colour[name],
                    ls=style.get(name, "-"), lw=2.2 if bold else 0.9, alpha=1 if bold else 0.7, label=name,
                    marker="o" if panel != "loss" and len(points) < 30 else None, ms=2.5, zorder=3 if bold else 2)
        ax.set_xlabel("updates")
        ax.set_ylabel("training loss (normalised RMSE)" if panel == "loss" else f"median test {panel}")
        ax.grid(alpha=0.3)
    if len(panels) == 1:
        axes[0].set_title("no test curves (training.eval_every is off)", fontsize=9)
    handles, labels = (_group_legend(colour, style, groups, styles) if groups or styles
                       else axes[0].get_legend_handles_labels())
    if handles:
        figure.legend(handles, labels, loc="outside right center", fontsize=7, frameon=False)
    figure.suptitle(title)
    return figure


def _line_colours(histories: Mapping[str, pd.DataFrame], groups: Mapping[str, str] | None) -> dict[str, tuple]:
    """A colour per model, or per group label (grey for a model without one)."""
    if not groups:
        return _by_label(list(histories), {name: name for name in histories}, colormaps["tab20"].colors)
    colours = _by_label(list(histories), groups, colormaps["tab10"].colors)
    return {name: colours.get(name, "grey") for name in histories}


def _line_styles(histories: Mapping[str, pd.DataFrame], styles: Mapping[str, str] | None) -> dict[str, str]:
    return _by_label(list(histories), styles or {}, LINE_STYLES)


def _by_label(names: Sequence[str], label_of: Mapping[str, str], choices: Sequence) -> dict[str, Any]:
    """Each labelled name → the choice of its label; labels take the choices in order of first appearance."""
    order = list(dict.fromkeys(label_of[name] for name in names if name in label_of))
    return {name: choices[order.index(label_of[name]) % len(choices)] for name in names if name in label_of}


def _group_legend(colour: Mapping[str, tuple], style: Mapping[str, str], groups: Mapping[str, str] | None,
                  styles: Mapping[str, str] | None) -> tuple[list[Line2D], list[str]]:
    """One legend entry per colour label and per line-style label, each with its model count."""
    handles, labels = [], []
    for label_of, key in ((groups or {}, "colour"), (styles or {}, "style")):
        for label in dict.fromkeys(label_of[name] for name in colour if name in label_of):
            members = [name for name in colour if label_of.get(name) == label]
            handles.append(Line2D([], [], color=colour[members[0]] if key == "colour" else "black",
                                  ls=style[members[0]] if key == "style" else "-"))
            labels.append(f"{label} ({len(members)})")
    return handles, labels
