"""The report says what ingestion's checks changed, counted from the checks table."""

import pandas as pd

from synergy_kedro.evaluation.data_checks import data_checks_sentence
from synergy_kedro.sources.value_checks import CHECK_COLUMNS


def _table(rows):
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS))


def test_values_out_of_bounds_and_dropped_sites_are_counted():
    checks = _table([
        ("out_of_bounds", "tmean", "a", 3, 0.001, "set missing"),
        ("out_of_bounds", "tmean", "b", 2, 0.001, "set missing"),
        ("out_of_bounds", "prcp", "a", 1, 0.0005, "set missing"),
        ("missing_static", "area", "c", 1, 1.0, "site dropped"),
        ("missing_static", "slope", "c", 1, 1.0, "site dropped"),
        ("missing_static", "area", "d", 1, 1.0, "site dropped"),
        ("no_training_target", "streamflow", "e", 0, 1.0, "site dropped"),
    ])
    sentence = data_checks_sentence(checks)
    assert "6 value(s) outside their physical bounds set missing (prcp 1 at 1 site(s), tmean 5 at 2 site(s))" in sentence
    assert "2 site(s) dropped for a missing static attribute" in sentence
    assert "1 site(s) dropped for no target in the training period" in sentence


def test_filled_statics_are_said_as_kept_and_a_clean_run_says_nothing_changed():
    filled = _table([("missing_static", "area", "c", 1, 1.0, "filled with the training mean")])
    assert "1 site(s) with a missing static attribute kept with the training mean" in data_checks_sentence(filled)
    assert "no site dropped" in data_checks_sentence(_table([]))
    assert data_checks_sentence(None) == ""
