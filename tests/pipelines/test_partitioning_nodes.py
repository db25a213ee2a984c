"""The column scheme: labels as a user writes them, and the unmodelled labels named with their counts; the epa
scheme: partitioning, not ingestion, gives each site its sub-region."""

import logging

import numpy as np

from synergy_kedro.pipelines.partitioning.nodes import assign_regions
from synergy_kedro.sources.virtual_conus import generate_virtual_conus
from tests.parameter_blocks import block


def test_numeric_labels_match_the_regions_a_user_lists_and_the_rest_are_counted(caplog):
    ds = generate_virtual_conus(sites_per_subregion=1, sites_per_focus_l3=0, focus_l3_codes=[], n_years=1, seed=3)
    huc = np.array([1.0, 17.0, 10.0, np.nan] * (ds.sizes["site"] // 4) + [1.0] * (ds.sizes["site"] % 4))
    ds = ds.assign(HUC02=("site", huc))
    with caplog.at_level(logging.WARNING):
        table = assign_regions(ds, block("partitioning", scheme="column", column="HUC02", regions=["1", "17"]))
    assert set(table["region"].dropna()) == {"1", "17"}
    assert int(table["region"].isna().sum()) == int((huc == 10).sum() + np.isnan(huc).sum())
    assert f"10: {int((huc == 10).sum())}" in caplog.text and f"(none): {int(np.isnan(huc).sum())}" in caplog.text


def test_regions_all_models_every_label_of_a_known_column_and_skips_the_small_ones():
    import pytest

    from synergy_kedro.core.errors import ConfigurationError
    from synergy_kedro.pipelines.partitioning.nodes import global_vs_local_site_sets
    from synergy_kedro.regions.schemes import scheme_regions

    huc = scheme_regions(block("partitioning", scheme="column", column="HUC02", regions="all"))
    assert len(huc) == 19 and {"01", "10U", "10L", "18"} <= set(huc)
    assert len(scheme_regions(block("partitioning", scheme="column", column="AGGECOREGION", regions=None))) == 9
    with pytest.raises(ConfigurationError, match="partitioning.regions: all needs the labels of "
                                                 "partitioning.column='my_basins'.*list the labels"):
        scheme_regions(block("partitioning", scheme="column", column="my_basins", regions="all"))

    ds = generate_virtual_conus(sites_per_subregion=3, sites_per_focus_l3=6, focus_l3_codes=["8.3.5"], n_years=1,
                                seed=3)
    partitioning = block("partitioning", scheme="column", column="eco_l2", regions="all", min_sites=5)
    table = assign_regions(ds, partitioning)
    sets = global_vs_local_site_sets(table, partitioning)
    counts = table["region"].value_counts()
    trained = {name for name, s in sets.items() if not s["skipped"] and name != "global"}
    assert trained == {f"local_{label.replace('.', '_')}" for label, n in counts.items() if n >= 5}
    assert "local_8_3" in trained and len(sets) == 1 + len(scheme_regions(partitioning))


def test_the_epa_region_is_the_subregion_of_each_sites_level3_code_computed_in_partitioning():
    from synergy_kedro.regions.hierarchy import subregion_of

    ds = generate_virtual_conus(sites_per_subregion=1, sites_per_focus_l3=0, focus_l3_codes=[], n_years=1, seed=3)
    assert "region" not in ds.variables  # the canonical Dataset holds eco_l1/2/3 only
    table = assign_regions(ds, block("partitioning", scheme="epa"))
    assert list(table["region"]) == [subregion_of(c) for c in ds["eco_l3"].values]
    assert list(table["region"]) == list(table["subregion"])
