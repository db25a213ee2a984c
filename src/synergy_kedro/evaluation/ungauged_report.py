"""The third experiment's report: where a region has no gauges, is one model of all other regions
better than the model of the most similar region, and what does having no data cost?

Three paired comparisons on the same sites answer it: held-out vs donor (unification against
regionalization where the region is ungauged), global vs held-out (what the region's own data is
worth to the unified model), local vs donor (what it is worth to regionalization).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from synergy_kedro.core.targets import primary_metric
from synergy_kedro.evaluation.budgets import spread
from synergy_kedro.evaluation.comparisons import comparison_markdown
from synergy_kedro.evaluation.data_checks import data_checks_sentence
from synergy_kedro.evaluation.learning_curves import convergence_summary
from synergy_kedro.evaluation.reports import verdict

#: The three comparisons: (first model, second model), as the table's ``pair`` column names them.
PAIRS: tuple[tuple[str, str], ...] = (("held-out", "donor"), ("global", "held-out"), ("local", "donor"))
QUESTIONS = {
    "held-out vs donor": "Where a region has no gauges, the model of every other region (held-out) against the "
                         "local model of the most similar region (donor)",
    "global vs held-out": "The cost of having no data, for unification: the global model (trained with the region's "
                          "sites) against the held-out model",
    "local vs donor": "The cost of having no data, for regionalization: the region's own local model against its donor",
}


def pooled_rows(table: pd.DataFrame, metric: str) -> list[dict]:
    """One row per comparison: sites, both medians, share of sites where the first model is better, p, verdict."""
    pooled = table[table["region"].astype(str) == "All"].set_index("pair")
    rows = []
    for a, b in PAIRS:
        pair = f"{a} vs {b}"
        if pair not in pooled.index:
            continue
        r = pooled.loc[pair]
        rows.append({"comparison": pair, "sites": int(r[f"{metric}_N"]), "median first": f"{r[f'{metric}_median_a']:.3f}",
                     "median second": f"{r[f'{metric}_median_b']:.3f}",
                     "first better": f"{r[f'{metric}_share_a_better']:.0%}", "Wilcoxon p": f"{r[f'{metric}_p']:.1e}",
                     "verdict": verdict(r[f"{metric}_share_a_better"], r[f"{metric}_p"], f"the {a} model",
                                        f"the {b} model")})
    return rows


def per_region(table: pd.DataFrame, pair: str, metric: str) -> pd.DataFrame:
    """One comparison's rows for ``metric``, with the pair's model names in place of a and b."""
    a, b = pair.split(" vs ")
    part = table[table["pair"] == pair].drop(columns=["pair"]).set_index("region")
    part = part[[c for c in part.columns if c.split("_")[0] == metric]]
    return part.rename(columns=lambda c: c.replace("_median_a", f" median {a}").replace("_median_b", f" median {b}")
                       .replace("_share_a_better", f" share {a} better"))


def headline(table: pd.DataFrame, metric: str) -> str:
    pooled = table[(table["region"].astype(str) == "All") & (table["pair"] == "held-out vs donor")]
    if pooled.empty:
        return "No held-out model could be compared with a donor (see the logged reasons)."
    r = pooled.iloc[0]
    return (f"Where a region has no gauges, unification's answer (one model of every other region) against "
            f"regionalization's (the most similar region's model): the held-out model's advantage "
            f"**{verdict(r[f'{metric}_share_a_better'], r[f'{metric}_p'], 'the held-out model', 'the donor')}** "
            f"on {metric}.")


def ungauged_report(table: pd.DataFrame, donors: pd.DataFrame, target: str, settings: Mapping,
                    budget: pd.DataFrame | None = None, convergence: pd.DataFrame | None = None,
                    checks: pd.DataFrame | None = None) -> str:
    """Markdown: the headline verdict, the three pooled comparisons, the donors, per-region tables, settings."""
    metric = primary_metric(target)
    lines = [f"# Ungauged regions ({target}): held-out model vs donor region", "", headline(table, metric), ""]
    if budget is not None and len(budget):
        held = budget[budget["model"].str.startswith("heldout_")]
        glob = budget[budget["model"] == "global"]
        lines += [f"Training budgets: the {len(held)} held-out models {spread(held['updates'])} updates"
                  + (f"; the global model {int(glob['updates'].iloc[0]):,}" if len(glob) else "") + ".", ""]
    lines += [convergence_summary(convergence), ""] if convergence is not None else []
    sentence = data_checks_sentence(checks)
    lines += [sentence, ""] if sentence else []
    lines += [pd.DataFrame(pooled_rows(table, metric)).to_markdown(index=False, disable_numparse=True), ""]
    lines += [f"- **{pair}**: {text}." for pair, text in QUESTIONS.items()] + [""]
    lines += ["## Donors", "", "Same level II, else same level I, else the nearest region by the distance between "
              "site centroids; among equals the nearest (`regions/donors.py`).", "",
              donors.to_markdown(index=False) if len(donors) else "No region has a donor.", ""]
    for pair in table["pair"].unique() if len(table) else []:
        lines += [f"## {pair}, per region", "", comparison_markdown(per_region(table, pair, metric), pfmt=".1e"), ""]
    lines += ["## Settings", "", *(f"- `{k}`: {v}" for k, v in settings.items()), ""]
    return "\n".join(lines)
