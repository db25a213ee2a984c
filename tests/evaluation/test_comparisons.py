"""Paired per-region comparisons against direct numpy / scipy computations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synergy_kedro.evaluation.comparisons import (
    HIGHER_IS_BETTER,
    comparison_markdown,
    paired_comparison,
    pairwise_comparisons,
    wilcoxon_p,
)

REGION_ORDER = ["A", "B", "C", "D"]  # D has no sites


@pytest.fixture
def example() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Three regions, unpaired and NaN sites, a site only in one table."""
    rng = np.random.default_rng(0)
    sites = [f"s{i:02d}" for i in range(24)]
    region = pd.Series(["A"] * 10 + ["B"] * 8 + ["C"] * 6, index=sites, name="region")
    a = pd.DataFrame(
        {
            "NSE": rng.uniform(0.2, 0.9, 24),
            "RMSE": rng.uniform(0.5, 2.0, 24),
            "Bias": rng.normal(0, 0.3, 24),
        },
        index=pd.Index(sites, name="site"),
    )
    b = a + pd.DataFrame(
        {"NSE": rng.normal(-0.05, 0.1, 24), "RMSE": rng.normal(0.1, 0.2, 24), "Bias": rng.normal(0, 0.2, 24)},
        index=a.index,
    )
    a.loc["s03", "NSE"] = np.nan  # unpaired for NSE only
    b.loc["s12", "RMSE"] = np.inf  # unpaired for RMSE only
    b = b.drop(index="s20")  # only in a: never paired
    a.loc["extra"] = [0.5, 1.0, 0.0]  # only in a, no region either
    return a, b, region


def _direct(a, b, region, metric, label):
    common = [s for s in a.index if s in b.index]
    va, vb = a.loc[common, metric], b.loc[common, metric]
    ok = np.isfinite(va) & np.isfinite(vb)
    if label != "All":
        ok &= region.reindex(common).to_numpy() == label
    return va[ok].to_numpy(), vb[ok].to_numpy()


def test_rows_columns_and_empty_region(example):
    a, b, region = example
    table = paired_comparison(a, b, region, ["NSE", "RMSE"], region_order=REGION_ORDER)
    assert table.index.name == "region"
    assert list(table.index) == ["A", "B", "C", "D", "All"]
    assert list(table.columns) == [
        "NSE_N", "NSE_median_global", "NSE_median_local", "NSE_share_global_better", "NSE_p",
        "RMSE_N", "RMSE_median_global", "RMSE_median_local", "RMSE_share_global_better", "RMSE_p",
    ]
    assert table.loc["D", "NSE_N"] == 0
    assert table.loc["D", ["NSE_median_global", "NSE_share_global_better", "NSE_p"]].isna().all()
    assert pd.api.types.is_integer_dtype(table["NSE_N"])
    assert table.loc["A", "NSE_N"] == 9  # s03 dropped
    assert table.loc["B", "RMSE_N"] == 7  # s12 dropped
    assert table.loc["C", "NSE_N"] == 5  # s20 only in a
    assert table.loc["All", "NSE_N"] == 22


@pytest.mark.parametrize("metric", ["NSE", "RMSE", "Bias"])
def test_values_match_direct_computation(example, metric):
    a, b, region = example
    table = paired_comparison(a, b, region, [metric], names=("g", "l"), region_order=REGION_ORDER)
    for label in ["A", "B", "C", "All"]:
        va, vb = _direct(a, b, region, metric, label)
        row = table.loc[label]
        assert row[f"{metric}_N"] == len(va)
        assert row[f"{metric}_median_g"] == pytest.approx(np.median(va))
        assert row[f"{metric}_median_l"] == pytest.approx(np.median(vb))
        if metric == "NSE":
            share, pa, pb = np.mean(va > vb), va, vb
        elif metric == "RMSE":  # lower is better
            share, pa, pb = np.mean(va < vb), va, vb
        else:  # |bias|, lower is better
            share, pa, pb = np.mean(np.abs(va) < np.abs(vb)), np.abs(va), np.abs(vb)
        assert row[f"{metric}_share_g_better"] == pytest.approx(share)
        assert row[f"{metric}_p"] == pytest.approx(stats.wilcoxon(pa, pb).pvalue)


def test_rmse_share_is_lower_is_better():
    idx = pd.Index(["s1", "s2", "s3", "s4"], name="site")
    a = pd.DataFrame({"RMSE": [1.0, 1.0, 1.0, 3.0], "NSE": [0.5, 0.5, 0.5, 0.1]}, index=idx)
    b = pd.DataFrame({"RMSE": [2.0, 2.0, 2.0, 2.0], "NSE": [0.6, 0.6, 0.6, 0.0]}, index=idx)
    region = pd.Series("X", index=idx)
    table = paired_comparison(a, b, region, ["RMSE", "NSE"])
    assert HIGHER_IS_BETTER["RMSE"] is False
    assert table.loc["All", "RMSE_share_global_better"] == pytest.approx(0.75)
    assert table.loc["All", "NSE_share_global_better"] == pytest.approx(0.25)


def test_default_region_order_is_sorted_labels(example):
    a, b, region = example
    table = paired_comparison(a, b, region, ["NSE"])
    assert list(table.index) == ["A", "B", "C", "All"]


def test_p_value_nan_cases():
    assert np.isnan(wilcoxon_p(np.array([1.0]), np.array([2.0])))
    assert np.isnan(wilcoxon_p(np.array([]), np.array([])))
    assert np.isnan(wilcoxon_p(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])))
    idx = pd.Index(["s1", "s2"], name="site")
    same = pd.DataFrame({"NSE": [0.3, 0.4]}, index=idx)
    table = paired_comparison(same, same.copy(), pd.Series(["X", "Y"], index=idx), ["NSE"])
    assert table["NSE_p"].isna().all()
    assert table.loc["All", "NSE_share_global_better"] == 0.0


def test_unknown_metric_rejected(example):
    a, b, region = example
    with pytest.raises(ValueError):
        paired_comparison(a, b, region, ["n_obs"])


def test_markdown(example):
    a, b, region = example
    table = paired_comparison(a, b, region, ["NSE", "RMSE"], region_order=REGION_ORDER)
    md = comparison_markdown(table)
    lines = md.splitlines()
    assert len(lines) == 2 + len(table)
    for label in REGION_ORDER + ["All"]:
        assert any(line.lstrip("| ").startswith(label) for line in lines[2:])
    d_line = next(line for line in lines if line.lstrip("| ").startswith("D "))
    assert "No sites" in d_line
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    cells = dict(zip(header, (c.strip() for c in lines[-1].strip("|").split("|")), strict=False))
    assert cells["region"] == "All"
    assert cells["NSE_N"] == "22"  # integer N, not 22.0
    assert cells["NSE_median_global"] == f"{table.loc['All', 'NSE_median_global']:.3f}"
    d_cells = dict(zip(header, (c.strip() for c in d_line.strip("|").split("|")), strict=False))
    assert d_cells["NSE_N"] == "0"
    assert "nan" not in md.lower()


def test_pairwise_comparisons(example):
    a, b, region = example
    per_model = {"local": a, "close": b, "far": b * 0.9}
    pairs = [("local", "close"), ("local", "far")]
    table = pairwise_comparisons(per_model, pairs, region, ["NSE"], region_order=REGION_ORDER)
    assert table.index.names == ["pair", "region"]
    assert list(table.index.get_level_values("pair").unique()) == ["local vs close", "local vs far"]
    single = paired_comparison(a, b * 0.9, region, ["NSE"], names=("a", "b"), region_order=REGION_ORDER)
    pd.testing.assert_frame_equal(table.loc["local vs far"], single)
    md = comparison_markdown(table)
    assert "local vs close" in md and "All" in md
