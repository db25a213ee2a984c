"""The paper's first-experiment numbers: complete per metric, and each telling the paper's story one way."""

from __future__ import annotations

import pytest

from synergy_kedro.evaluation.comparisons import HIGHER_IS_BETTER
from synergy_kedro.evaluation.paper_results import GLOBAL_VS_LOCAL


@pytest.mark.parametrize("target", sorted(GLOBAL_VS_LOCAL))
def test_every_metric_has_both_models_a_statistic_and_a_share_that_agree(target):
    numbers = GLOBAL_VS_LOCAL[target]
    metrics = {key.split("_")[0] for key in numbers}
    assert metrics  # a report compares against at least one metric per target
    for metric in metrics:
        glob, local = numbers[f"{metric}_global"], numbers[f"{metric}_local"]
        assert numbers[f"{metric}_statistic"] in ("mean", "median")
        share = numbers[f"{metric}_share_global_better"]
        assert 0 <= share <= 1
        global_better = glob > local if HIGHER_IS_BETTER[metric] else glob < local
        # the paper's synergy: the global model better in the summary statistic and at most sites
        assert global_better and share > 0.5, (target, metric)
