"""Grouped per-region box plots of per-site metrics (Fang et al., Figures 2 and 3).

One group of boxes per region plus a pooled "All" group, one box per model, so the spread across
sites — which a median in a table hides — can be compared region by region.

Figures are built with :class:`matplotlib.figure.Figure` directly, never through ``pyplot``: no
global figure state, no GUI backend, nothing to close, safe in a Kedro run. ``Figure.savefig``
renders with the Agg canvas, so no ``matplotlib.use`` is needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

#: Label of the pooled group (all sites of each model, whatever their region).
POOLED_LABEL = "All"


def _regions(
    per_model: Mapping[str, pd.DataFrame],
    region_of_site: pd.Series,
    region_order: Sequence[str] | None,
) -> list[str]:
    """Groups to draw: ``region_order`` as given, else the sorted regions of all models' sites."""
    if region_order is not None:
        return list(region_order)
    sites = pd.Index([]).append([table.index for table in per_model.values()]).unique()
    return sorted(pd.unique(region_of_site.reindex(sites).dropna()), key=str)


def _values(table: pd.DataFrame, region_of_site: pd.Series, metric: str, region: str | None) -> np.ndarray:
    """Finite metric values of one model's sites in ``region`` (``None`` → all its sites)."""
    values = table[metric]
    if region is not None:
        values = values[region_of_site.reindex(table.index).to_numpy() == region]
    values = values.to_numpy(dtype=np.float64)
    return values[np.isfinite(values)]


def _draw_region_boxes(
    ax: Axes,
    per_model: Mapping[str, pd.DataFrame],
    region_of_site: pd.Series,
    metric: str,
    regions: Sequence[str],
    legend: bool,
) -> None:
    """Draw one metric's grouped boxes on ``ax``; empty (model, region) cells are left blank."""
    colors = mpl.rcParams["axes.prop_cycle"].by_key()["color"]
    models = list(per_model)
    groups: list[str | None] = [*regions, None]
    width = 0.8 / max(len(models), 1)
    for j, model in enumerate(models):
        color = colors[j % len(colors)]
        data, positions = [], []
        for g, region in enumerate(groups):
            values = _values(per_model[model], region_of_site, metric, region)
            if values.size:
                data.append(values)
                positions.append(g - 0.4 + width * (j + 0.5))
        if data:
            ax.boxplot(
                data,
                positions=positions,
                widths=width * 0.9,
                patch_artist=True,
                manage_ticks=False,
                boxprops={"facecolor": color, "alpha": 0.8},
                medianprops={"color": "black"},
                flierprops={"marker": ".", "markersize": 3, "markeredgecolor": color},
            )
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([*map(str, regions), POOLED_LABEL])
    ax.set_xlim(-0.6, len(groups) - 0.4)
    if regions:
        ax.axvline(len(regions) - 0.5, color="grey", linestyle="--", linewidth=0.8)
    ax.set_ylabel(metric)
    ax.grid(axis="y", alpha=0.3)
    if legend and models:
        handles = [Patch(facecolor=colors[j % len(colors)], alpha=0.8, label=m) for j, m in enumerate(models)]
        ax.legend(handles=handles, loc="best", fontsize="small")


def comparison_figure(
    per_model: Mapping[str, pd.DataFrame],
    region_of_site: pd.Series,
    metrics: Sequence[str],
    region_order: Sequence[str] | None = None,
    title: str = "",
) -> Figure:
    """One row of grouped box plots per metric, sharing the region axis (legend on the top row).

    ``per_model`` maps model name → per-site metric table (index = site); each model's boxes use
    its own sites with a finite value, so models evaluated on the same sites give paired boxes.
    """
    regions = _regions(per_model, region_of_site, region_order)
    n_groups = len(regions) + 1
    fig = Figure(figsize=(max(6.0, 0.25 * n_groups * (len(per_model) + 1)), 2.8 * len(metrics) + 0.6))
    axes = fig.subplots(nrows=len(metrics), ncols=1, squeeze=False, sharex=True)[:, 0]
    for i, (ax, metric) in enumerate(zip(axes, metrics, strict=False)):
        _draw_region_boxes(ax, per_model, region_of_site, metric, regions, legend=i == 0)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def region_boxplots(
    per_model: Mapping[str, pd.DataFrame],
    region_of_site: pd.Series,
    metric: str,
    region_order: Sequence[str] | None = None,
    title: str = "",
) -> Figure:
    """Grouped box plots of one metric: one group per region plus "All", one box per model."""
    return comparison_figure(per_model, region_of_site, [metric], region_order, title)
