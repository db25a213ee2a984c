"""Per-model site metrics → the paper's paired comparisons, tables and box plots."""

from __future__ import annotations

import logging

import pandas as pd
from matplotlib.figure import Figure

from synergy_kedro.comparisons import comparison_markdown, paired_comparison
from synergy_kedro.figures import comparison_figure
from synergy_kedro.regions import SUBREGIONS

log = logging.getLogger(__name__)


def _indexed(metrics: pd.DataFrame) -> pd.DataFrame:
    return metrics.set_index("site") if "site" in metrics.columns else metrics


def compare_global_vs_local(
    site_regions: pd.DataFrame, evaluation: dict, target: str, global_metrics: pd.DataFrame, *local_metrics: pd.DataFrame
) -> tuple[pd.DataFrame, str, Figure]:
    """Global vs local on the same test sites, per sub-region A–R and pooled (the paper's Table 2)."""
    metrics = list(evaluation["table_metrics"][target])
    glob = _indexed(global_metrics)
    local = pd.concat([_indexed(m) for m in local_metrics if len(m)]) if any(len(m) for m in local_metrics) else glob.iloc[:0]
    region_of_site = site_regions.set_index("site")["subregion"].dropna()
    table = paired_comparison(glob, local, region_of_site, metrics, names=("global", "local"),
                              region_order=list(SUBREGIONS))
    markdown = comparison_markdown(table, pfmt=".1e")
    log.info("Global vs local (%s), test period:\n%s", target, markdown)
    figure = comparison_figure({"global": glob.loc[glob.index.isin(local.index)], "local": local}, region_of_site,
                               metrics, region_order=list(SUBREGIONS), title=f"Global vs local: {target}")
    return table.reset_index(), markdown, figure
