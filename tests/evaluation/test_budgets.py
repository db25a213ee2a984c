"""Budgets beside verdicts, and the verdict along the local models' learning curves, checked against scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from synergy_kedro.evaluation.budgets import budget_sentence, budget_table, verdict_vs_budget, verdict_vs_budget_figure


def _history(updates_per_epoch: int, batch: int, epochs: int) -> pd.DataFrame:
    return pd.DataFrame({"epoch": range(1, epochs + 1), "loss": 1.0, "batch_size": batch,
                         "iterations": updates_per_epoch})


def test_budget_table_sums_the_updates_and_skips_untrained_models():
    table = budget_table({"global": _history(189, 100, 3), "local_A": _history(1, 100, 3),
                          "local_B": _history(12, 100, 3), "local_C": pd.DataFrame(columns=["epoch"])})
    assert table.set_index("model")["updates"].to_dict() == {"global": 567, "local_A": 3, "local_B": 36}
    sentence = budget_sentence(table)
    assert "the global model 567 updates (189 per epoch × 3 epochs, batch 100)" in sentence
    assert "the 2 local models median 20 (range 3–36) updates" in sentence


def _curves(rng: np.random.Generator, sites: list[str], epochs: list[int], per_epoch: int) -> pd.DataFrame:
    rows = [{"epoch": e, "updates": e * per_epoch, "site": s, "RMSE": 0.08 / e + rng.uniform(0, 0.02)}
            for e in epochs for s in sites]
    return pd.DataFrame(rows)


def test_verdict_vs_budget_against_scipy_per_model_and_pooled():
    rng = np.random.default_rng(1)
    sites_a, sites_b = [f"a{i}" for i in range(12)], [f"b{i}" for i in range(9)]
    glob = pd.DataFrame({"site": sites_a + sites_b, "RMSE": rng.uniform(0.01, 0.05, 21)})
    curves = {"local_A": _curves(rng, sites_a, [2, 4], 3), "local_B": _curves(rng, sites_b, [2, 4], 10)}
    table = verdict_vs_budget(glob, curves, "RMSE")
    g = glob.set_index("site")["RMSE"]
    for name, curve in curves.items():
        for epoch, at in curve.groupby("epoch"):
            local = at.set_index("site")["RMSE"]
            row = table[(table["model"] == name) & (table["epoch"] == epoch)].iloc[0]
            assert row.sites == len(local) and row.updates == at["updates"].iloc[0]
            assert row.share_global_better == pytest.approx(np.mean(g[local.index] < local))
            assert row.p == pytest.approx(stats.wilcoxon(g[local.index], local).pvalue)
    pooled = table[(table["model"] == "All") & (table["epoch"] == 4)].iloc[0]
    both = pd.concat([c[c["epoch"] == 4] for c in curves.values()]).set_index("site")["RMSE"]
    assert pooled.sites == 21 and pooled.updates == np.median([12, 40])
    assert (pooled.updates_min, pooled.updates_max) == (12, 40)
    assert pooled.share_global_better == pytest.approx(np.mean(g[both.index] < both))
    assert pooled.p == pytest.approx(stats.wilcoxon(g[both.index], both).pvalue)


def test_no_learning_curves_give_an_empty_table_and_a_figure_that_says_why():
    glob = pd.DataFrame({"site": ["a"], "NSE": [0.5]})
    table = verdict_vs_budget(glob, {"local_A": pd.DataFrame(columns=["epoch", "updates", "site"])}, "NSE")
    assert table.empty
    figure = verdict_vs_budget_figure({"this run": table}, {"this run": 100.0}, "NSE", "t")
    assert "training.eval_every" in " ".join(t.get_text() for t in figure.axes[0].texts)
