"""Held-out models never train on a site of the regions they are tested on."""

import pandas as pd
import pytest

from synergy_kedro.regions.ungauged_design import heldout_name, heldout_site_sets, region_folds


def _sites():
    rows = [(f"{r}{i}", r) for r, n in (("A", 3), ("B", 2), ("C", 4), ("D", 1)) for i in range(n)]
    return pd.DataFrame(rows + [("x0", None)], columns=["site", "region"])


def test_regions_are_dealt_to_folds_in_table_order_and_null_holds_out_one_at_a_time():
    assert region_folds(list("ABCDEFG"), 3) == [["A", "D", "G"], ["B", "E"], ["C", "F"]]
    assert region_folds(list("ABC"), None) == [["A"], ["B"], ["C"]]
    assert region_folds(list("ABC"), 5) == [["A"], ["B"], ["C"]]
    assert heldout_name(["A", "Central Plains"]) == "heldout_A_Central_Plains"


@pytest.mark.parametrize("folds", [None, 2])
def test_a_heldout_model_trains_on_every_other_modelled_site_and_tests_on_its_own(folds):
    sets = heldout_site_sets(_sites(), list("ABCD"), folds, min_sites=2)
    regions = _sites().set_index("site")["region"]
    for record in sets.values():
        held = set(record["held_out"])
        assert not held & set(regions[record["sites"]])  # never a site of its own regions
        assert set(regions[record["test_sites"]]) == held
        assert set(record["sites"]) | set(record["test_sites"]) == set(regions.dropna().index)
        assert "x0" not in record["sites"]  # a site in no region trains no model, as for the global model
    assert len(sets) == (4 if folds is None else 2)


def test_a_group_without_sites_or_with_too_few_to_train_is_skipped_with_the_reason():
    sites = _sites()
    sets = heldout_site_sets(sites, list("ABCDE"), None, min_sites=9)
    assert sets["heldout_E"]["skipped"] == "region(s) E hold no sites to test"
    assert sets["heldout_C"]["skipped"] == "6 sites outside C, fewer than partitioning.min_sites=9"
    assert sets["heldout_D"]["skipped"] is None
