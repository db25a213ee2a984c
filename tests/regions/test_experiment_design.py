import pandas as pd

from synergy_kedro.regions.experiment_design import all_namespaces, design_site_sets, namespace, roi_training_sets

L3 = pd.Series({"r1": "8.3.5", "r2": "8.3.5", "r3": "8.3.5", "c1": "8.3.4", "c2": "8.3.1", "f1": "8.1.7",
                "f2": "8.2.4", "f3": "8.5.3", "d1": "9.4.1", "d2": "5.3.1", "d3": "10.1.5", "d4": "6.2.7"})


def test_every_set_starts_from_the_roi_and_adds_one_neighbourhood():
    sets = roi_training_sets("8.3.5", L3, size_controlled=False, seed=0)
    assert sets["local"] == ["r1", "r2", "r3"]
    assert sets["close"] == sorted(["r1", "r2", "r3", "c1", "c2"])
    assert sets["far"] == sorted(["r1", "r2", "r3", "f1", "f2", "f3"])
    assert sets["dissimilar"] == sorted(["r1", "r2", "r3", "d1", "d2", "d3", "d4"])


def test_size_control_samples_each_addition_down_to_the_smallest_reproducibly():
    a = roi_training_sets("8.3.5", L3, size_controlled=True, seed=5)
    b = roi_training_sets("8.3.5", L3, size_controlled=True, seed=5)
    assert a == b
    assert [len(a[s]) for s in ("close", "far", "dissimilar")] == [5, 5, 5]
    assert set(a["far"]) - set(a["local"]) <= {"f1", "f2", "f3"}
    draws = {tuple(roi_training_sets("8.3.5", L3, True, seed)["dissimilar"]) for seed in range(20)}
    assert len(draws) > 1  # the seed matters


def test_roi_with_too_few_sites_is_skipped_with_a_reason():
    regions = L3.rename("eco_l3").rename_axis("site").reset_index()
    records = design_site_sets(regions, ["8.3.5"], ["all_data"], min_sites=4, seed=0)
    assert all("fewer than similar_vs_dissimilar.min_sites=4" in r["skipped"] for r in records.values())
    assert set(records) == {namespace("all_data", "8.3.5", s) for s in ("local", "close", "far", "dissimilar")}


def test_namespaces_cover_both_variants_and_all_four_sets():
    names = all_namespaces(["8.3.5", "10.1.5"])
    assert len(names) == 2 * 2 * 4 and "sim.size_controlled.roi_10_1_5.dissimilar" in names
