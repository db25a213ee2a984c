"""Per-model site metrics → the paper's paired comparisons, tables and box plots."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from synergy_kedro.core import procedures
from synergy_kedro.core.parameters import Evaluation, Partitioning, SimilarVsDissimilar, Training, for_target
from synergy_kedro.evaluation import budgets
from synergy_kedro.evaluation.comparisons import comparison_markdown, paired_comparison, pairwise_comparisons
from synergy_kedro.evaluation.figures import comparison_figure
from synergy_kedro.evaluation.learning_curves import convergence_table, learning_curve_figure
from synergy_kedro.evaluation.reports import global_vs_local_report, similar_vs_dissimilar_report
from synergy_kedro.regions.experiment_design import PAIRS, SETS, namespace
from synergy_kedro.regions.schemes import scheme_regions, seed_repeat_of

log = logging.getLogger(__name__)


def _indexed(metrics: pd.DataFrame) -> pd.DataFrame:
    return metrics.set_index("site") if "site" in metrics.columns else metrics


def compare_global_vs_local(
    site_regions: pd.DataFrame, evaluation: Evaluation, target: str, partitioning: Partitioning, budget: pd.DataFrame,
    global_metrics: pd.DataFrame, *local_metrics: pd.DataFrame,
) -> tuple[pd.DataFrame, str, Figure]:
    """Global vs local on the same test sites, per region (A–R by default) and pooled (the paper's Table 2).

    ``budget`` (:func:`training_budget`) adds each row's training budget: the global model's
    updates and batch, and the region's local model's (the "All" row: the local models' median).
    """
    metrics = evaluation.metrics_for(target)
    glob = _indexed(global_metrics)
    local = pd.concat([_indexed(m) for m in local_metrics if len(m)]) if any(len(m) for m in local_metrics) else glob.iloc[:0]
    region_of_site = site_regions.set_index("site")["region"].dropna().astype(str)
    regions = scheme_regions(partitioning)
    table = paired_comparison(glob, local, region_of_site, metrics, names=("global", "local"),
                              region_order=regions)
    table["test_sites"] = _test_sites(table.index, glob.index, region_of_site)
    table = _with_budget(table, budget)
    markdown = (comparison_markdown(table.drop(columns=["test_sites", *BUDGET_COLUMNS]), pfmt=".1e") + "\n\n"
                + budgets.budget_sentence(budget) + "\n")
    log.info("Global vs local (%s), test period:\n%s", target, markdown)
    figure = comparison_figure({"global": glob.loc[glob.index.isin(local.index)], "local": local}, region_of_site,
                               metrics, region_order=regions, title=f"Global vs local: {target}")
    return table.reset_index(), markdown, figure


BUDGET_COLUMNS = ["updates_global", "batch_global", "updates_local", "batch_local"]


def _with_budget(table: pd.DataFrame, budget: pd.DataFrame) -> pd.DataFrame:
    """The comparison rows with the updates and effective batch of the two models each row compares."""
    by_model = budget.set_index("model")
    local = by_model[by_model.index != "global"]
    out = table.copy()
    glob = by_model.loc["global"] if "global" in by_model.index else None
    out["updates_global"] = glob["updates"] if glob is not None else np.nan
    out["batch_global"] = glob["batch_size"] if glob is not None else np.nan
    for column, key in (("updates_local", "updates"), ("batch_local", "batch_size")):
        out[column] = [local[key].median() if row == "All" and len(local)
                       else local[key].get(f"local_{row}", np.nan) for row in out.index]
    return out


def training_budget(*histories: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Each trained model's effective batch, updates per epoch and updates (:mod:`synergy_kedro.evaluation.budgets`)."""
    return budgets.budget_table(dict(zip(names, histories, strict=True)))


def verdict_vs_budget(evaluation: Evaluation, target: str, budget: pd.DataFrame, global_metrics: pd.DataFrame,
                      *site_curves: pd.DataFrame, names: list[str]) -> tuple[pd.DataFrame, Figure]:
    """The final global model against each local model along its learning curve (no extra training).

    ``site_curves`` follow ``names`` (the local models); empty without ``training.eval_every``.
    """
    metric = evaluation.primary_metric_for(target)
    table = budgets.verdict_vs_budget(_indexed(global_metrics), dict(zip(names, site_curves, strict=True)), metric)
    glob = budget.loc[budget["model"] == "global", "updates"]
    figure = budgets.verdict_vs_budget_figure({"this run": table}, {"this run": float(glob.iloc[0]) if len(glob)
                                                                    else np.nan}, metric,
                                              f"Global vs local ({target}): the verdict against the local budget")
    return table, figure


def similar_vs_dissimilar_verdict_vs_budget(evaluation: Evaluation, target: str, budget: pd.DataFrame,
                                             *tables: pd.DataFrame, rois: list[str]) -> tuple[pd.DataFrame, Figure]:
    """Each ROI's final all-data +dissimilar model against its local model along the local model's learning curve.

    ``tables``: the +dissimilar models' site metrics, then the local models' site curves, both in the
    order of ``rois`` (all-data variant). ROIs' test sites are disjoint, so their references pool.
    """
    metric = evaluation.primary_metric_for(target)
    finals, curves = tables[:len(rois)], tables[len(rois):]
    reference = pd.concat([_indexed(t) for t in finals if len(t)]) if any(len(t) for t in finals) else pd.DataFrame(
        columns=[metric])
    named = {namespace("all_data", roi, "local"): curve for roi, curve in zip(rois, curves, strict=True)}
    table = budgets.verdict_vs_budget(reference, named, metric)
    largest = _models_of_set(budget, "all_data", "dissimilar")
    figure = budgets.verdict_vs_budget_figure(
        {"all data": table}, {"all data": float(largest["updates"].median()) if len(largest) else np.nan}, metric,
        f"Similar vs dissimilar ({target}): local models against the final +dissimilar model",
        reference="the final +dissimilar model", others="local models",
        line_label="the +dissimilar models' updates (median over the ROIs)")
    return table, figure


def _test_sites(rows: pd.Index, sites: pd.Index, region_of_site: pd.Series) -> list[int]:
    """The global model's test sites per row (scored or not), so a report can say how many were left out."""
    counts = region_of_site.reindex(sites).value_counts()
    return [len(sites) if row == "All" else int(counts.get(row, 0)) for row in rows]


def compare_similar_vs_dissimilar(
    site_regions: pd.DataFrame, evaluation: Evaluation, target: str, similar: SimilarVsDissimilar, budget: pd.DataFrame,
    *site_metrics: pd.DataFrame, variant: str, namespaces: list[str],
) -> tuple[pd.DataFrame, str, Figure]:
    """Pairwise Wilcoxon tests between the four training sets, per ROI and pooled (the paper's Tables 3–5).

    ``site_metrics`` come in the order of ``namespaces`` (``sim.<variant>.<roi>.<set>``); sets of
    the same name are pooled across ROIs, which is safe because ROIs' test sites are disjoint.
    ``budget`` (:func:`training_budget` of every namespace) adds the updates and batch of each side.
    """
    metrics = evaluation.metrics_for(target)
    rois = [str(r) for r in for_target(similar.rois, target)]
    per_set: dict[str, list[pd.DataFrame]] = {name: [] for name in SETS}
    for ns, table in zip(namespaces, site_metrics, strict=True):
        if len(table):
            per_set[ns.split(".")[-1]].append(_indexed(table))
    per_model = {name: pd.concat(tables) for name, tables in per_set.items() if tables}
    title = f"Similar vs dissimilar ({variant.replace('_', ' ')}): {target}"
    if len(per_model) < 2:
        note = f"No {variant} models were trained for target={target} (see the logged reasons)."
        log.warning(note)
        empty = Figure()
        empty.text(0.5, 0.5, note, ha="center")
        return pd.DataFrame(columns=["pair", "region"]), f"{title}\n\n{note}\n", empty
    l3 = site_regions.set_index("site")["eco_l3"].astype(str)
    roi_of_site = l3[l3.isin(rois)]
    pairs = [p for p in PAIRS if p[0] in per_model and p[1] in per_model]
    table = _with_pair_budget(pairwise_comparisons(per_model, pairs, roi_of_site, metrics, region_order=rois),
                              budget, variant)
    markdown = (f"## {title}\n\n" + comparison_markdown(table.drop(columns=PAIR_BUDGET_COLUMNS), pfmt=".1e")
                + "\n\n" + set_budgets(budget, variant) + "\n")
    log.info("%s\n%s", title, markdown)
    figure = comparison_figure(per_model, roi_of_site, metrics, region_order=rois, title=title)
    return table.reset_index(), markdown, figure


PAIR_BUDGET_COLUMNS = ["updates_a", "batch_a", "updates_b", "batch_b"]


def _with_pair_budget(table: pd.DataFrame, budget: pd.DataFrame, variant: str) -> pd.DataFrame:
    """Each (pair, ROI) row with the updates and batch of its two models; "All": the medians over the ROIs."""
    by_model = budget.set_index("model")
    out = table.copy()
    for side, column in (("a", 0), ("b", 1)):
        for key, name in (("updates", f"updates_{side}"), ("batch_size", f"batch_{side}")):
            values = []
            for pair, region in out.index:
                set_name = pair.split(" vs ")[column]
                if region == "All":
                    chosen = _models_of_set(budget, variant, set_name)
                    values.append(chosen[key].median() if len(chosen) else np.nan)
                else:
                    values.append(by_model[key].get(namespace(variant, str(region), set_name), np.nan))
            out[name] = values
    return out


def _models_of_set(budget: pd.DataFrame, variant: str, set_name: str) -> pd.DataFrame:
    """The budget rows of one variant's models of one training set, over the ROIs (:func:`namespace`'s names)."""
    return budget[budget["model"].str.startswith(f"sim.{variant}.") & budget["model"].str.endswith(f".{set_name}")]


def set_budgets(budget: pd.DataFrame, variant: str) -> str:
    """The updates of each training set's models (median and range over the ROIs), as one line."""
    parts = []
    for set_name in SETS:
        chosen = _models_of_set(budget, variant, set_name)
        if len(chosen):
            parts.append(f"{set_name}: {budgets.spread(chosen['updates'])} updates (batch "
                         f"{budgets.spread(chosen['batch_size'])})")
    return "Training budgets per set, over the ROIs: " + ("; ".join(parts) if parts else "no model trained") + "."


def seed_variability(site_regions: pd.DataFrame, evaluation: Evaluation, target: str, partitioning: Partitioning,
                     *site_metrics: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Pooled global-vs-local result per training seed (one row per repeat).

    ``site_metrics`` follow ``names`` (``global``, ``local_*``, ``seed1.global``, …); a repeat's
    models differ from the main ones only in their seed, so the spread across rows is what the
    paper's single-seed numbers cannot show.
    """
    metrics = evaluation.metrics_for(target)
    region_of_site = site_regions.set_index("site")["region"].dropna().astype(str)
    by_repeat: dict[int, dict[str, list[pd.DataFrame]]] = {}
    for name, table in zip(names, site_metrics, strict=True):
        repeat = seed_repeat_of(name)
        kind = "global" if name.split(".")[-1] == "global" else "local"
        if len(table):
            by_repeat.setdefault(repeat, {"global": [], "local": []})[kind].append(_indexed(table))
    rows = []
    for repeat, tables in sorted(by_repeat.items()):
        if not tables["global"] or not tables["local"]:
            continue
        pooled = paired_comparison(pd.concat(tables["global"]), pd.concat(tables["local"]), region_of_site, metrics,
                                   names=("global", "local"), region_order=scheme_regions(partitioning)).loc["All"]
        rows.append({"repeat": repeat, "seed_offset": repeat, **pooled.to_dict()})
    return pd.DataFrame(rows)


def learning_curves(evaluation: Evaluation, target: str, *histories: pd.DataFrame, names: list[str],
                    title: str, groups: dict[str, str] | None = None,
                    styles: dict[str, str] | None = None) -> tuple[Figure, pd.DataFrame]:
    """Every model's curves against updates, and whether each converged (:mod:`synergy_kedro.evaluation.learning_curves`).

    ``histories`` follow ``names``. The tolerance is ``evaluation.convergence_tolerance`` of the
    target, in units of its primary metric (RMSE for soil moisture, NSE for streamflow).
    ``groups`` and ``styles`` colour and dash the lines by label (the second experiment: set, variant).
    """
    by_name = dict(zip(names, histories, strict=True))
    table = convergence_table(by_name, evaluation.primary_metric_for(target), evaluation.tolerance_for(target))
    return learning_curve_figure(by_name, evaluation.metrics_for(target), f"{title}: {target}", groups, styles), table


def _training_settings(training: Training, target: str, evaluation: Evaluation | None = None) -> dict:
    """What a report states about how its models were trained."""
    procedure = procedures.for_run(training, evaluation, target)
    return {"procedure": procedure.name, "epoch_rule": procedure.epoch_rule, "test_start": procedure.test_start,
            "hidden_size": training.hidden_size, "epochs": training.epochs,
            "window": for_target(training.window, target), "batch_size": for_target(training.batch_size, target),
            "dropout_method": training.dropout_method, "optimizer": training.optimizer,
            "learning_rate": training.learning_rate, "eval_every": training.eval_every,
            "min_iterations": training.min_iterations}


def global_vs_local_paper_report(global_vs_local_table: pd.DataFrame, seed_table: pd.DataFrame, target: str,
                                 training: Training, periods: dict, ingestion: dict,
                                 convergence: pd.DataFrame | None = None, evaluation: Evaluation | None = None,
                                 budget: pd.DataFrame | None = None,
                                 verdict_budget: pd.DataFrame | None = None,
                                 ingestion_checks: pd.DataFrame | None = None) -> str:
    """This run's first experiment beside the paper's numbers, with the settings used, the budgets and whether models converged."""
    settings = {"source": ingestion.get("source"), "target": target, "periods": periods,
                **_training_settings(training, target, evaluation), "seed": training.seed}
    return global_vs_local_report(global_vs_local_table, seed_table, target, settings, convergence, budget,
                                  verdict_budget, ingestion_checks)


def similar_vs_dissimilar_paper_report(all_data: pd.DataFrame, size_controlled: pd.DataFrame, target: str,
                                       similar: SimilarVsDissimilar, training: Training, periods: dict,
                                       ingestion: dict, convergence: pd.DataFrame | None = None,
                                       evaluation: Evaluation | None = None,
                                       budget: pd.DataFrame | None = None,
                                       ingestion_checks: pd.DataFrame | None = None) -> str:
    """This run's second experiment beside the paper's finding, per variant (``training``: its models' settings)."""
    settings = {"source": ingestion.get("source"), "target": target, "periods": periods,
                "rois": for_target(similar.rois, target), "min_sites": similar.min_sites,
                **_training_settings(training, target, evaluation)}
    budget_lines = ({variant: set_budgets(budget, variant) for variant in ("all_data", "size_controlled")}
                    if budget is not None else None)
    return similar_vs_dissimilar_report({"all_data": all_data, "size_controlled": size_controlled}, target, settings,
                                        convergence, budget_lines, ingestion_checks)
