"""The paper's groupings of the EPA hierarchy, read as its definitions."""

import pandas as pd
import pytest

from synergy_kedro.regions.hierarchy import SUBREGIONS, level3_hierarchy, neighbourhoods, subregion_of


@pytest.mark.parametrize(
    ("code", "letter"),
    [("5.3.1", "A"), ("6.2.7", "B"), ("7.1.8", "C"), ("8.1.7", "D"), ("8.2.4", "E"), ("8.3.5", "F"),
     ("8.4.1", "G"), ("8.5.3", "H"), ("9.2.3", "I"), ("9.3.3", "J"), ("9.4.1", "K"), ("9.5.1", "L"),
     ("9.6.1", "L"), ("10.1.5", "M"), ("10.2.4", "N"), ("11.1.1", "O"), ("12.1.1", "P"), ("13.1.1", "Q"),
     ("15.4.1", "R"), ("14.1.1", "R")],
)
def test_subregion_letters_follow_table_1(code, letter):
    assert subregion_of(code) == letter


def test_level_ii_is_checked_before_level_i():
    # "8.10.1" is level II 8.10, not 8.1: codes are strings, not floats.
    assert subregion_of("8.10.1") is None
    assert subregion_of("9.1.1") is None  # 9.1 is not one of the paper's sub-regions


def test_every_us_level_iii_region_belongs_to_a_subregion_and_all_18_are_present():
    table = level3_hierarchy()
    letters = table["na_l3code"].map(subregion_of)
    assert letters.notna().all()
    assert set(letters) == set(SUBREGIONS)
    assert len(SUBREGIONS) == 18


def test_hierarchy_codes_nest():
    t = level3_hierarchy()
    assert (t["na_l3code"].str.rsplit(".", n=1).str[0] == t["na_l2code"]).all()
    assert (t["na_l2code"].str.split(".").str[0] == t["na_l1code"]).all()


@pytest.fixture
def sites():
    return pd.Series({"roi1": "8.3.5", "roi2": "8.3.5", "close1": "8.3.4", "close2": "8.3.1",
                      "far1": "8.1.7", "far2": "8.5.3", "dis1": "9.4.1", "dis2": "5.3.1", "none": None})


def test_local_is_the_roi_only(sites):
    assert neighbourhoods("8.3.5", sites)["local"] == ["roi1", "roi2"]


def test_close_is_the_rest_of_the_rois_level_ii_region(sites):
    assert neighbourhoods("8.3.5", sites)["close"] == ["close1", "close2"]


def test_far_is_the_rest_of_the_level_i_region_without_close_neighbours(sites):
    assert neighbourhoods("8.3.5", sites)["far"] == ["far1", "far2"]


def test_dissimilar_is_every_other_level_i_region(sites):
    assert neighbourhoods("8.3.5", sites)["dissimilar"] == ["dis1", "dis2"]


def test_sets_are_disjoint_and_cover_every_labelled_site(sites):
    sets = neighbourhoods("8.3.5", sites)
    members = [s for v in sets.values() for s in v]
    assert len(members) == len(set(members)) == sites.notna().sum()
