"""Per-site metrics of the held-out, donor, global and local models → the third experiment's tables and report."""

from __future__ import annotations

import logging

import pandas as pd
from matplotlib.figure import Figure

from synergy_kedro.core.parameters import Evaluation, Partitioning, Training, UngaugedRegions
from synergy_kedro.evaluation.comparisons import comparison_markdown, pairwise_comparisons
from synergy_kedro.evaluation.figures import comparison_figure
from synergy_kedro.evaluation.ungauged_report import PAIRS, ungauged_report
from synergy_kedro.regions.schemes import scheme_regions

from .nodes import _training_settings

log = logging.getLogger(__name__)


def _pooled(tables: tuple[pd.DataFrame, ...]) -> pd.DataFrame | None:
    """Per-site tables of models with disjoint test sites, as one table indexed by site."""
    kept = [t.set_index("site") for t in tables if len(t)]
    return pd.concat(kept) if kept else None


def compare_ungauged(site_regions: pd.DataFrame, evaluation: Evaluation, target: str, partitioning: Partitioning,
                     donor_metrics: pd.DataFrame, global_metrics: pd.DataFrame, *tables: pd.DataFrame,
                     n_local: int) -> tuple[pd.DataFrame, str, Figure]:
    """Held-out vs donor, global vs held-out, local vs donor: per region and pooled, on the same sites.

    ``tables``: the ``n_local`` local models' site metrics, then the held-out models'. The held-out
    groups' test sites are disjoint, as are the regions', so each side pools into one table.
    """
    metrics = evaluation.metrics_for(target)
    per_model = {"held-out": _pooled(tables[n_local:]), "donor": _pooled((donor_metrics.drop(
        columns=["region", "donor"], errors="ignore"),)), "global": global_metrics.set_index("site"),
        "local": _pooled(tables[:n_local])}
    per_model = {name: table for name, table in per_model.items() if table is not None}
    pairs = [(a, b) for a, b in PAIRS if a in per_model and b in per_model]
    region_of_site = site_regions.set_index("site")["region"].dropna().astype(str)
    regions = scheme_regions(partitioning)
    title = f"Ungauged regions: {target}"
    if not pairs:
        note = "No held-out or donor model could be evaluated (see the logged reasons)."
        figure = Figure()
        figure.text(0.5, 0.5, note, ha="center")
        return pd.DataFrame(columns=["pair", "region"]), f"## {title}\n\n{note}\n", figure
    table = pairwise_comparisons(per_model, pairs, region_of_site, metrics, region_order=regions)
    markdown = f"## {title}\n\n" + comparison_markdown(table, pfmt=".1e") + "\n"
    log.info("%s\n%s", title, markdown)
    heldout_sites = per_model.get("held-out", per_model["global"]).index
    figure = comparison_figure({name: t.loc[t.index.isin(heldout_sites)] for name, t in per_model.items()},
                               region_of_site, metrics, region_order=regions, title=title)
    return table.reset_index(), markdown, figure


def ungauged_regions_report(table: pd.DataFrame, donors: pd.DataFrame, target: str, training: Training,
                            periods: dict, ingestion: dict, ungauged: UngaugedRegions, evaluation: Evaluation,
                            budget: pd.DataFrame,
                            convergence: pd.DataFrame, ingestion_checks: pd.DataFrame | None = None) -> str:
    """The report with the settings it ran with (procedure, budget, folds)."""
    settings = {"source": ingestion.get("source"), "target": target, "periods": periods,
                "folds": ungauged.folds, **_training_settings(training, target, evaluation),
                "seed": training.seed}
    return ungauged_report(table, donors, target, settings, budget, convergence, ingestion_checks)
