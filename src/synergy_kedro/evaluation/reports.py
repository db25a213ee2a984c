"""Plain-language reports that set this run's results beside the paper's.

A reader wants three things from an experiment: the numbers, the paper's numbers next to them,
and one sentence saying whether the paper's direction holds here. "Holds" means the pooled
Wilcoxon test is significant (p < 0.05) *and* the better model wins at more than half the sites;
anything else is said as it is (reversed, or not significant).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from synergy_kedro.core.targets import primary_metric
from synergy_kedro.evaluation.budgets import budget_sentence
from synergy_kedro.evaluation.comparisons import HIGHER_IS_BETTER, comparison_markdown
from synergy_kedro.evaluation.data_checks import data_checks_sentence
from synergy_kedro.evaluation.learning_curves import convergence_summary
from synergy_kedro.evaluation.paper_results import GLOBAL_VS_LOCAL

ALPHA = 0.05


def outcome(share_a_better: float, p: float) -> str:
    """``holds``, ``reversed``, ``not significant`` or ``untestable``: the rule of this module's docstring."""
    if not np.isfinite(p) or not np.isfinite(share_a_better):
        return "untestable"
    if p < ALPHA and share_a_better > 0.5:
        return "holds"
    if p < ALPHA and share_a_better < 0.5:
        return "reversed"
    return "not significant"


def _be(subject: str) -> str:
    """'are' for a plural subject ("the local models"), else 'is'."""
    return "are" if subject.split()[-1].endswith("s") else "is"


def verdict(share_a_better: float, p: float, a: str, b: str) -> str:
    """Sentence fragment on whether ``a`` beats ``b`` at the pooled sites."""
    kind = outcome(share_a_better, p)
    if kind == "untestable":
        return "cannot be tested here (too few paired sites)"
    if kind == "holds":
        return f"holds: {a} {_be(a)} better at {share_a_better:.0%} of sites (p = {p:.1e})"
    if kind == "reversed":
        return f"is reversed: {b} {_be(b)} better at {1 - share_a_better:.0%} of sites (p = {p:.1e})"
    return f"is not significant here ({a} better at {share_a_better:.0%} of sites, p = {p:.2f})"


def global_vs_local_report(table: pd.DataFrame, seed_table: pd.DataFrame, target: str, settings: Mapping,
                           convergence: pd.DataFrame | None = None, budget: pd.DataFrame | None = None,
                           verdict_budget: pd.DataFrame | None = None, checks: pd.DataFrame | None = None) -> str:
    """Markdown: pooled global vs local beside the paper, the budgets, whether the models converged, seeds, settings."""
    pooled = table.set_index("region").loc["All"]
    paper = GLOBAL_VS_LOCAL.get(target, {})
    metrics = [c.removesuffix("_N") for c in table.columns if c.endswith("_N")]
    rows = []
    for m in metrics:
        rows.append({
            "metric": m, "sites": int(pooled[f"{m}_N"]),
            "median global": f"{pooled[f'{m}_median_global']:.3f}",
            "median local": f"{pooled[f'{m}_median_local']:.3f}",
            "global better": f"{pooled[f'{m}_share_global_better']:.0%}", "Wilcoxon p": f"{pooled[f'{m}_p']:.1e}",
            "paper global": paper_value(paper, m, "global"), "paper local": paper_value(paper, m, "local"),
            "paper global better": paper_share(paper, m),
        })
    primary = primary_metric(target, metrics[0])
    sentence = verdict(pooled[f"{primary}_share_global_better"], pooled[f"{primary}_p"], "the global model",
                       "the local models")
    lines = [
        f"# Global vs local ({target}): this run beside Fang et al. (2022)", "",
        f"The paper's direction (one global model beats one model per region) **{sentence}** on {primary}."
        + _per_seed(seed_table, primary), "",
        *_budget(budget, settings),
        *_convergence(convergence),
        *_data_checks(checks),
        *_unscored(pooled, metrics),
        _markdown(rows), "",
        *_owed_to_budget(verdict_budget, primary),
        "Paper values are pooled over CONUS as reported (statistic per metric in "
        "`synergy_kedro.evaluation.paper_results`); ours are medians over this run's test sites.", "",
    ]
    if len(seed_table) > 1:
        lines += ["## Seed variability", "",
                  f"The global and local models were trained with {len(seed_table)} seeds; pooled results per seed, "
                  "then mean ± standard deviation across seeds (the paper reports one seed).", "",
                  _seed_markdown(seed_table), "",
                  _spread(seed_table, primary), ""]
    lines += ["## Settings", "", *(f"- `{k}`: {v}" for k, v in settings.items()), ""]
    return "\n".join(lines)


def _unscored(pooled: pd.Series, metrics: list[str]) -> list[str]:
    """A line saying how many of the global model's test sites the comparison could not use."""
    if "test_sites" not in pooled or not metrics:
        return []
    total, compared = int(pooled["test_sites"]), int(pooled[f"{metrics[0]}_N"])
    if compared >= total:
        return [f"All {total} test sites are compared.", ""]
    return [f"{compared} of the global model's {total} test sites are compared; the other {total - compared} "
            "have fewer observations in the test period than `evaluation.min_obs`, or lie in a region "
            "without a local model (see `comparison.csv`, column `test_sites`).", ""]


def similar_vs_dissimilar_report(tables: Mapping[str, pd.DataFrame], target: str, settings: Mapping,
                                 convergence: pd.DataFrame | None = None,
                                 budgets: Mapping[str, str] | None = None,
                                 checks: pd.DataFrame | None = None) -> str:
    """Markdown: does adding more *dissimilar* data help, per variant, pooled and per ROI (``budgets``: a line per variant)."""
    metric = primary_metric(target)
    lines = [f"# Similar vs dissimilar ({target}): this run beside Fang et al. (2022)", "",
             "The paper finds skill improving from local → +close → +far → +dissimilar in most ROIs.", "",
             *_budget(None, settings),
             *_convergence(convergence),
             *_data_checks(checks)]
    for variant, table in tables.items():
        if table.empty:
            lines += [f"## {variant}", "", "No models were trained for this variant.", ""]
            continue
        steps = table[table["pair"].isin(["local vs close", "close vs far", "far vs dissimilar"])]
        pooled = steps[steps["region"] == "All"].set_index("pair")
        rows = [{"step": pair, "sites": int(r[f"{metric}_N"]), "median before": f"{r[f'{metric}_median_a']:.3f}",
                 "median after": f"{r[f'{metric}_median_b']:.3f}", "after better": f"{1 - r[f'{metric}_share_a_better']:.0%}",
                 "Wilcoxon p": f"{r[f'{metric}_p']:.1e}",
                 "verdict": verdict(1 - r[f"{metric}_share_a_better"], r[f"{metric}_p"], "the larger set",
                                    "the smaller set")}
                for pair, r in pooled.iterrows()]
        improving = _rois_improving_monotonically(steps, metric)
        lines += [f"## {variant.replace('_', ' ')}", "", _markdown(rows), "",
                  f"Median {metric} improves at every step in **{improving[0]} of {improving[1]} ROIs**.", "",
                  *([budgets[variant], ""] if budgets and variant in budgets else [])]
    lines += _roi_coverage(tables.get("all_data", pd.DataFrame()), settings.get("rois", []), metric,
                           settings.get("min_sites"))
    lines += ["## Settings", "", *(f"- `{k}`: {v}" for k, v in settings.items()), ""]
    return "\n".join(lines)


def _budget(budget: pd.DataFrame | None, settings: Mapping) -> list[str]:
    """The procedure and the updates each side of the verdict had: the paper's rule gives small regions few."""
    lines = []
    if settings.get("procedure"):
        lines.append(f"Trained with the **{settings['procedure']}** procedure (epoch rule "
                     f"{settings.get('epoch_rule')}, {settings.get('test_start')} test start; docs/procedures.md).")
    if budget is not None:
        lines.append(budget_sentence(budget))
    return [" ".join(lines), ""] if lines else []


def _owed_to_budget(table: pd.DataFrame | None, metric: str) -> list[str]:
    """From the local models' learning curves: the verdict at their first and last scored budgets."""
    if table is None or table.empty:
        return []
    pooled = table[table["model"] == "All"].sort_values("updates")
    if len(pooled) < 2:
        return []
    first, last = pooled.iloc[0], pooled.iloc[-1]
    return [f"What the verdict owes to the budget (`verdict_vs_budget.csv`, `verdict_vs_budget.png`): against the "
            f"local models' weights after a median {int(first.updates):,} updates the final global model is better "
            f"on {metric} at {first.share_global_better:.0%} of sites; after {int(last.updates):,} updates, at "
            f"{last.share_global_better:.0%}.", ""]


def _data_checks(checks: pd.DataFrame | None) -> list[str]:
    sentence = data_checks_sentence(checks)
    return [sentence, ""] if sentence else []


def _convergence(table: pd.DataFrame | None) -> list[str]:
    return [] if table is None else [convergence_summary(table), ""]


def _roi_coverage(table: pd.DataFrame, rois: list[str], metric: str, min_sites: int | None) -> list[str]:
    """Which of the paper's ROIs were tested here, on how many sites, and why the others were not."""
    if not rois:
        return []
    tested = {}
    if not table.empty:
        first = table[table["pair"] == "local vs close"].set_index("region")[f"{metric}_N"]
        tested = {str(r): int(n) for r, n in first.items() if r != "All" and pd.notna(n) and n > 0}
    reason = (f"skipped: fewer than {min_sites} sites in the ROI (`similar_vs_dissimilar.min_sites`)"
              if min_sites is not None else "skipped: too few sites in the ROI")
    rows = [{"ROI": roi, "test sites": str(tested.get(roi, 0)), "status": "tested" if roi in tested else reason}
            for roi in rois]
    skipped = sum(roi not in tested for roi in rois)
    return ["## ROIs", "", f"{len(rois) - skipped} of the paper's {len(rois)} ROIs were tested here; "
            f"{skipped} skipped.", "", _markdown(rows), ""]


def _markdown(rows: list[dict]) -> str:
    """Cells are pre-formatted strings; numparse off so "8.3e-08" is not re-read as 0.000."""
    return pd.DataFrame(rows).to_markdown(index=False, disable_numparse=True)


def _seed_markdown(seed_table: pd.DataFrame) -> str:
    """One row per seed: counts as integers, p-values in scientific notation."""
    keys = [c for c in ("repeat", "seed_offset") if c in seed_table.columns]
    indexed = seed_table.astype({k: int for k in keys}).set_index(keys) if keys else seed_table
    return comparison_markdown(indexed, floatfmt=".3f", pfmt=".1e")


def paper_value(paper: Mapping, metric: str, model: str) -> str:
    """The paper's pooled value of ``metric`` for ``model`` with its statistic, e.g. "0.032 (mean)"; "–" if none."""
    value = paper.get(f"{metric}_{model}")
    return "–" if value is None else f"{value:.3f} ({paper.get(f'{metric}_statistic', '')})"


def paper_share(paper: Mapping, metric: str) -> str:
    """The paper's share of sites where the global model is better, e.g. "87%"; "–" if not reported."""
    value = paper.get(f"{metric}_share_global_better")
    return "–" if value is None else f"{value:.0%}"


def _per_seed(seed_table: pd.DataFrame, metric: str) -> str:
    """How often the verdict repeats across seeds: one seed's "holds" can be luck (the paper has one)."""
    share, p = f"{metric}_share_global_better", f"{metric}_p"
    if len(seed_table) < 2 or not {share, p} <= set(seed_table.columns):
        return ""
    kinds = pd.Series([outcome(a, b) for a, b in zip(seed_table[share], seed_table[p], strict=False)])
    counts = kinds.value_counts()
    return (f" Over the {len(kinds)} seeds it holds with {counts.get('holds', 0)}, is reversed with "
            f"{counts.get('reversed', 0)} and is not significant with {counts.get('not significant', 0)}.")


def _spread(seed_table: pd.DataFrame, metric: str) -> str:
    col = f"{metric}_share_global_better"
    g, loc = seed_table[f"{metric}_median_global"], seed_table[f"{metric}_median_local"]
    return (f"Across seeds: median {metric} global {g.mean():.3f} ± {g.std(ddof=1):.3f}, local "
            f"{loc.mean():.3f} ± {loc.std(ddof=1):.3f}; global better at {seed_table[col].mean():.0%} ± "
            f"{seed_table[col].std(ddof=1):.0%} of sites.")


def _rois_improving_monotonically(steps: pd.DataFrame, metric: str) -> tuple[int, int]:
    per_roi = steps[steps["region"] != "All"]
    better = (lambda a, b: b > a) if HIGHER_IS_BETTER[metric] else (lambda a, b: b < a)
    count, total = 0, 0
    for _, rows in per_roi.groupby("region"):
        if rows[f"{metric}_N"].min() == 0 or len(rows) < 3:
            continue
        total += 1
        count += all(better(r[f"{metric}_median_a"], r[f"{metric}_median_b"]) for _, r in rows.iterrows())
    return count, total
