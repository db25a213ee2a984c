"""Scoring and presenting the models (domain code, no Kedro): per-site metrics (:mod:`.metrics`),
Wilcoxon comparisons (:mod:`.comparisons`), box plots (:mod:`.figures`), maps (:mod:`.maps`),
learning curves (:mod:`.learning_curves`), reports beside the paper (:mod:`.reports`,
:mod:`.paper_results`) and the end-of-run summary (:mod:`.run_summary`).

The Kedro nodes that call these are in :mod:`synergy_kedro.pipelines.evaluation`.
"""
