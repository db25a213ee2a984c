"""Paired, per-region comparisons of two models' per-site metrics (Fang et al., Table 2).

Two models are evaluated on the same test sites, so their metrics are *paired* observations. The
paper summarises each sub-region (and all sites pooled) by the number of sites N, the median of
each model's metric, and a Wilcoxon signed-rank test of the paired differences (Wilcoxon, 1945),
a rank test that needs no normality of the differences — metrics such as NSE are bounded above and
heavily skewed below. We add the share of sites where model *a* is strictly better, which says how
widespread an improvement is, something neither a median nor a p-value tells.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

#: Direction of "better" per metric. ``None`` (Bias) means the metric is signed and 0 is best:
#: sites are compared on |bias|, lower is better.
HIGHER_IS_BETTER: dict[str, bool | None] = {
    "NSE": True,
    "KGE": True,
    "R": True,
    "RMSE": False,
    "Bias": None,
}

#: Text shown in :func:`comparison_markdown` for a region with no paired sites (the paper's
#: "No Pixels").
NO_SITES = "No sites"
#: Text shown for any other missing value.
MISSING = "–"


def _score(values: np.ndarray, metric: str) -> np.ndarray:
    """Values on which "better" and the test are judged: |bias| for signed metrics, else as is."""
    return np.abs(values) if HIGHER_IS_BETTER[metric] is None else values


def share_a_better(a: np.ndarray, b: np.ndarray, metric: str) -> float:
    """Fraction of pairs where a is strictly better than b (ties count as not better)."""
    if a.size == 0:
        return np.nan
    sa, sb = _score(a, metric), _score(b, metric)
    better = sa > sb if HIGHER_IS_BETTER[metric] else sa < sb
    return float(np.mean(better))


def wilcoxon_p(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sided p-value of ``scipy.stats.wilcoxon(a, b)`` (signed-rank test of a − b).

    NaN where the test says nothing: fewer than 2 pairs, or all differences zero (scipy then
    either raises or returns p = 1 with a warning, depending on version). scipy's defaults are
    kept: zero differences are dropped (``zero_method="wilcox"``) and the exact distribution is
    used for small samples without ties.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.size < 2 or np.all(a == b):
        return np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        try:
            return float(stats.wilcoxon(a, b).pvalue)
        except ValueError:
            return np.nan


def _summary(a: np.ndarray, b: np.ndarray, metric: str, names: tuple[str, str]) -> dict[str, float]:
    """The five columns of one metric for one group of paired sites.

    Medians are of the raw values (for Bias: signed, so the direction of the bias stays visible);
    share and test are on the values "better" is judged on (|bias| for Bias), so that a small p
    means one model's errors are systematically smaller, not merely shifted.
    """
    name_a, name_b = names
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # median of an empty group
        med_a = float(np.median(a)) if a.size else np.nan
        med_b = float(np.median(b)) if b.size else np.nan
    return {
        f"{metric}_N": int(a.size),
        f"{metric}_median_{name_a}": med_a,
        f"{metric}_median_{name_b}": med_b,
        f"{metric}_share_{name_a}_better": share_a_better(a, b, metric),
        f"{metric}_p": wilcoxon_p(_score(a, metric), _score(b, metric)),
    }


def paired_comparison(
    metrics_a: pd.DataFrame,
    metrics_b: pd.DataFrame,
    region_of_site: pd.Series,
    metrics: Sequence[str],
    names: tuple[str, str] = ("global", "local"),
    region_order: Sequence[str] | None = None,
    pooled_label: str = "All",
) -> pd.DataFrame:
    """Per-region paired comparison of model a against model b (the paper's Table 2).

    ``metrics_a``/``metrics_b`` are per-site tables (index = site, e.g. from
    :func:`synergy_kedro.evaluation.metrics.site_metrics`); ``region_of_site`` maps site → region label.
    For each metric separately, a site is paired when it is in both tables and the metric is finite
    in both, so N can differ between metrics.

    Rows: one per region — ``region_order`` if given (a listed region without paired sites gets
    N = 0 and NaN), otherwise the sorted labels of the paired sites — then ``pooled_label`` over
    *all* paired sites, including any whose region is unknown or not in ``region_order``.
    Columns, for each metric M: ``M_N``, ``M_median_<a>``, ``M_median_<b>``,
    ``M_share_<a>_better``, ``M_p`` (two-sided Wilcoxon signed-rank p-value). Index ``region``.
    """
    unknown = [m for m in metrics if m not in HIGHER_IS_BETTER]
    if unknown:
        raise ValueError(f"no direction known for metrics {unknown}; known: {list(HIGHER_IS_BETTER)}")
    if names[0] == names[1]:
        raise ValueError(f"model names must differ, got {names}")
    common = metrics_a.index.intersection(metrics_b.index, sort=False)
    region = region_of_site.reindex(common)
    if region_order is None:
        regions = sorted(pd.unique(region.dropna()), key=str)
    else:
        regions = list(region_order)
    if pooled_label in regions:
        raise ValueError(f"pooled_label {pooled_label!r} is also a region label")

    rows: dict[str, dict[str, float]] = {label: {} for label in [*regions, pooled_label]}
    for metric in metrics:
        a = metrics_a.loc[common, metric].to_numpy(dtype=np.float64)
        b = metrics_b.loc[common, metric].to_numpy(dtype=np.float64)
        paired = np.isfinite(a) & np.isfinite(b)
        for label in regions:
            keep = paired & (region == label).to_numpy()
            rows[label].update(_summary(a[keep], b[keep], metric, names))
        rows[pooled_label].update(_summary(a[paired], b[paired], metric, names))

    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "region"
    n_cols = [f"{m}_N" for m in metrics]
    table[n_cols] = table[n_cols].astype(np.int64)
    return table


def pairwise_comparisons(
    per_model: Mapping[str, pd.DataFrame],
    pairs: Sequence[tuple[str, str]],
    region_of_site: pd.Series,
    metrics: Sequence[str],
    region_order: Sequence[str] | None = None,
) -> pd.DataFrame:
    """:func:`paired_comparison` for several model pairs stacked in one table (Tables 3–5).

    Rows are indexed by (``pair``, ``region``) with ``pair`` like ``"local vs close"``. Since the
    model names differ between pairs, columns use the generic names ``a``/``b``
    (``M_median_a``, ``M_median_b``, ``M_share_a_better``), where a is the first model of the pair.
    """
    parts = {
        f"{a} vs {b}": paired_comparison(
            per_model[a], per_model[b], region_of_site, metrics, ("a", "b"), region_order
        )
        for a, b in pairs
    }
    return pd.concat(parts, names=["pair"])


def comparison_markdown(
    table: pd.DataFrame, floatfmt: str = ".3f", pfmt: str | None = None
) -> str:
    """Markdown rendering of a :func:`paired_comparison` / :func:`pairwise_comparisons` table.

    Index levels become leading columns, ``*_N`` columns are printed as integers, other numbers
    with ``floatfmt`` (p-values with ``pfmt`` if given, e.g. ``".1e"``), missing values as "–";
    where a metric has N = 0 in a row its other cells read "No sites", like the paper's
    "No Pixels".
    """
    pfmt = floatfmt if pfmt is None else pfmt
    n_cols = [c for c in table.columns if str(c).endswith("_N")]
    out = table.reset_index().astype(object)
    n_index = out.shape[1] - table.shape[1]
    for col in table.columns:
        col = str(col)
        if col in n_cols:
            out[col] = [MISSING if pd.isna(v) else str(int(v)) for v in table[col]]
        elif pd.api.types.is_numeric_dtype(table[col]):
            fmt = pfmt if col.endswith("_p") else floatfmt
            out[col] = [MISSING if pd.isna(v) else format(v, fmt) for v in table[col]]
    for n_col in n_cols:
        metric = n_col[: -len("_N")]
        empty = (table[n_col].fillna(0) == 0).to_numpy()
        for col in table.columns:
            if col != n_col and str(col).startswith(f"{metric}_"):
                out.loc[empty, col] = NO_SITES
    align = ["left"] * n_index + ["right"] * table.shape[1]
    return out.to_markdown(index=False, disable_numparse=True, colalign=align)
