import numpy as np
import pandas as pd

from synergy_kedro.evaluation.reports import global_vs_local_report, similar_vs_dissimilar_report, verdict


def test_verdict_needs_significance_and_a_majority():
    assert verdict(0.8, 0.001, "A", "B").startswith("holds: A is better at 80%")
    assert verdict(0.2, 0.001, "A", "B").startswith("is reversed: B is better at 80%")
    assert "is reversed: the local models are better at 80%" in verdict(0.2, 0.001, "the global model", "the local models")
    assert verdict(0.8, 0.2, "A", "B").startswith("is not significant")
    assert verdict(np.nan, np.nan, "A", "B").startswith("cannot be tested")


def _gvl_table(share, p):
    return pd.DataFrame({"region": ["A", "All"], "RMSE_N": [3, 30], "RMSE_median_global": [0.02, 0.021],
                         "RMSE_median_local": [0.03, 0.027], "RMSE_share_global_better": [1.0, share],
                         "RMSE_p": [0.1, p], "R_N": [3, 30], "R_median_global": [0.9, 0.91],
                         "R_median_local": [0.8, 0.85], "R_share_global_better": [1.0, 0.9], "R_p": [0.1, 0.001]})


def test_global_vs_local_report_sets_the_paper_beside_the_run():
    seeds = pd.DataFrame({"repeat": [0, 1, 2], "RMSE_median_global": [0.02, 0.022, 0.021],
                          "RMSE_median_local": [0.027, 0.028, 0.026], "RMSE_share_global_better": [0.9, 0.8, 0.85]})
    text = global_vs_local_report(_gvl_table(0.9, 1e-6), seeds, "soil_moisture", {"epochs": 3})
    assert "**holds: the global model is better at 90% of sites (p = 1.0e-06)**" in text
    assert "0.032 (mean)" in text and "87%" in text  # the paper's RMSE and share
    assert "## Seed variability" in text and "global better at 85% ± 5% of sites" in text
    assert "- `epochs`: 3" in text


def test_similar_vs_dissimilar_report_counts_rois_improving_at_every_step():
    rows = []
    for roi, medians in {"8.3.5": [0.04, 0.03, 0.02, 0.01], "9.4.1": [0.04, 0.05, 0.02, 0.01]}.items():
        for (a, b), (ma, mb) in zip([("local", "close"), ("close", "far"), ("far", "dissimilar")],
                                    zip(medians, medians[1:], strict=False), strict=False):
            rows.append({"pair": f"{a} vs {b}", "region": roi, "RMSE_N": 5, "RMSE_median_a": ma, "RMSE_median_b": mb,
                         "RMSE_share_a_better": 0.2, "RMSE_p": 0.01})
    for pair in ("local vs close", "close vs far", "far vs dissimilar"):
        rows.append({"pair": pair, "region": "All", "RMSE_N": 10, "RMSE_median_a": 0.04, "RMSE_median_b": 0.03,
                     "RMSE_share_a_better": 0.1, "RMSE_p": 0.001})
    text = similar_vs_dissimilar_report({"all_data": pd.DataFrame(rows), "size_controlled": pd.DataFrame()},
                                        "soil_moisture", {})
    assert "improves at every step in **1 of 2 ROIs**" in text
    assert "holds: the larger set is better at 90% of sites" in text
    assert "No models were trained for this variant." in text


def test_similar_vs_dissimilar_report_lists_tested_and_skipped_rois():
    rows = [{"pair": "local vs close", "region": r, "RMSE_N": n, "RMSE_median_a": 0.04, "RMSE_median_b": 0.03,
             "RMSE_share_a_better": 0.2, "RMSE_p": 0.01} for r, n in (("8.3.5", 7), ("All", 7))]
    text = similar_vs_dissimilar_report({"all_data": pd.DataFrame(rows)}, "soil_moisture",
                                        {"rois": ["8.3.5", "9.4.1"], "min_sites": 3})
    assert "1 of the paper's 2 ROIs were tested here; 1 skipped." in text
    tested_line = next(line for line in text.splitlines() if line.startswith("| 8.3.5"))
    assert "| 7 " in tested_line and "tested" in tested_line
    skipped_line = next(line for line in text.splitlines() if line.startswith("| 9.4.1"))
    assert "fewer than 3 sites" in skipped_line and "| 0 " in skipped_line


def test_gvl_report_writes_p_values_in_scientific_notation():
    seeds = pd.DataFrame({"repeat": [0, 1], "seed_offset": [0, 1], "RMSE_N": [30, 30],
                          "RMSE_median_global": [0.02, 0.022], "RMSE_median_local": [0.027, 0.028],
                          "RMSE_share_global_better": [0.9, 0.8], "RMSE_p": [8.3e-8, 2e-6]})
    text = global_vs_local_report(_gvl_table(0.9, 8.3e-8), seeds, "soil_moisture", {})
    assert "8.3e-08" in text.split("## Seed variability")[0]  # pooled table, not rounded to 0.000
    seed_part = text.split("## Seed variability")[1]
    assert "8.3e-08" in seed_part and "2.0e-06" in seed_part and "30.000" not in seed_part


def test_headline_says_how_often_the_direction_holds_across_seeds():
    seeds = pd.DataFrame({"repeat": [0, 1, 2], "seed_offset": [0, 1, 2], "RMSE_N": [30] * 3,
                          "RMSE_median_global": [0.02, 0.022, 0.021], "RMSE_median_local": [0.027, 0.021, 0.026],
                          "RMSE_share_global_better": [0.9, 0.3, 0.55], "RMSE_p": [1e-6, 1e-3, 0.4]})
    text = global_vs_local_report(_gvl_table(0.9, 1e-6), seeds, "soil_moisture", {})
    headline = text.splitlines()[2]
    assert headline.endswith("Over the 3 seeds it holds with 1, is reversed with 1 and is not significant with 1.")
    one_seed = global_vs_local_report(_gvl_table(0.9, 1e-6), seeds.iloc[:1], "soil_moisture", {})
    assert "Over the" not in one_seed


def test_the_report_says_how_many_test_sites_the_comparison_left_out():
    seeds = pd.DataFrame({"repeat": [0], "RMSE_median_global": [0.02], "RMSE_median_local": [0.027],
                          "RMSE_share_global_better": [0.9]})
    table = _gvl_table(0.9, 1e-6).assign(test_sites=[4, 34])
    text = global_vs_local_report(table, seeds, "soil_moisture", {})
    assert "30 of the global model's 34 test sites are compared; the other 4 have fewer observations" in text
    text = global_vs_local_report(table.assign(test_sites=[3, 30]), seeds, "soil_moisture", {})
    assert "All 30 test sites are compared." in text
    assert "test sites are compared" not in global_vs_local_report(_gvl_table(0.9, 1e-6), seeds, "soil_moisture", {})
