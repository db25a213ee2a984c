"""The column scheme: labels as a user writes them, and the unmodelled labels named with their counts."""

import logging

import numpy as np

from synergy_kedro.pipelines.partitioning.nodes import assign_regions
from synergy_kedro.virtual_conus import generate_virtual_conus


def test_numeric_labels_match_the_regions_a_user_lists_and_the_rest_are_counted(caplog):
    ds = generate_virtual_conus(sites_per_subregion=1, sites_per_focus_l3=0, focus_l3_codes=[], n_years=1, seed=3)
    huc = np.array([1.0, 17.0, 10.0, np.nan] * (ds.sizes["site"] // 4) + [1.0] * (ds.sizes["site"] % 4))
    ds = ds.assign(HUC02=("site", huc))
    with caplog.at_level(logging.WARNING):
        table = assign_regions(ds, {"scheme": "column", "column": "HUC02", "regions": ["1", "17"]})
    assert set(table["region"].dropna()) == {"1", "17"}
    assert int(table["region"].isna().sum()) == int((huc == 10).sum() + np.isnan(huc).sum())
    assert f"10: {int((huc == 10).sum())}" in caplog.text and f"(none): {int(np.isnan(huc).sum())}" in caplog.text
