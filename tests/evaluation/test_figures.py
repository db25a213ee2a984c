"""Region box-plot figures: structure and that they render to PNG."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from synergy_kedro.evaluation.figures import comparison_figure, region_boxplots


@pytest.fixture
def per_model() -> tuple[dict[str, pd.DataFrame], pd.Series]:
    rng = np.random.default_rng(1)
    sites = pd.Index([f"s{i}" for i in range(30)], name="site")
    region = pd.Series(np.repeat(["A", "B", "C"], 10), index=sites)
    tables = {
        name: pd.DataFrame(
            {"NSE": rng.uniform(0, 1, 30), "RMSE": rng.uniform(0.5, 2, 30), "Bias": rng.normal(0, 0.2, 30)},
            index=sites,
        )
        for name in ("global", "local")
    }
    tables["local"].iloc[:3, 0] = np.nan  # NaNs are skipped
    return tables, region


def _box_count(ax) -> int:
    """Boxes are drawn as PathPatch artists with patch_artist=True."""
    return sum(type(p).__name__ == "PathPatch" for p in ax.patches)


def test_region_boxplots(per_model, tmp_path):
    tables, region = per_model
    fig = region_boxplots(tables, region, "NSE", region_order=["A", "B", "C", "D"], title="NSE")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["A", "B", "C", "D", "All"]
    assert _box_count(ax) == 2 * 4  # two models x (A, B, C, All); D is empty
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["global", "local"]
    out = tmp_path / "nse.png"
    fig.savefig(out)
    assert out.stat().st_size > 0


def test_comparison_figure(per_model, tmp_path):
    tables, region = per_model
    metrics = ["NSE", "RMSE", "Bias"]
    fig = comparison_figure(tables, region, metrics, title="global vs local")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == len(metrics)
    assert [ax.get_ylabel() for ax in fig.axes] == metrics
    for ax in fig.axes:
        assert _box_count(ax) == 2 * 4  # default groups: A, B, C + All
    out = tmp_path / "comparison.png"
    fig.savefig(out)
    assert out.stat().st_size > 0


def test_all_nan_model_draws_nothing(per_model, tmp_path):
    tables, region = per_model
    tables = {**tables, "broken": tables["global"] * np.nan}
    fig = region_boxplots(tables, region, "RMSE")
    assert _box_count(fig.axes[0]) == 2 * 4
    fig.savefig(tmp_path / "x.png")
