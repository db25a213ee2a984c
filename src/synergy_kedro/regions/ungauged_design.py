"""The third experiment's held-out models: each trained on every site outside a group of regions.

A region with no gauges is simulated by training without any of its sites and testing on them.
One held-out model per region costs as many models as regions, each about the size of the global
model; ``ungauged_regions.folds`` = k instead holds out k groups of regions (regions dealt to the
groups in table order, A→0, B→1, …, so neighbours of the same level-I region mostly fall in
different groups and each held-out region keeps similar regions in its training data). ``null``
holds out one region at a time. Feng et al. (2021)'s prediction in ungauged regions held out 7
groups of CONUS regions the same way.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import pandas as pd

log = logging.getLogger(__name__)


def region_folds(regions: Sequence[str], folds: int | None) -> list[list[str]]:
    """Groups of regions held out together: one per region (``folds`` null or ≥ the regions), else k groups."""
    regions = [str(r) for r in regions]
    if folds is None or folds >= len(regions):
        return [[r] for r in regions]
    return [regions[i::folds] for i in range(folds)]


def heldout_name(fold: Sequence[str]) -> str:
    """``["A", "G", "M"]`` → ``heldout_A_G_M`` (namespaces take no dots or spaces)."""
    return "heldout_" + "_".join(re.sub(r"\W+", "_", str(r)).strip("_") for r in fold)


def heldout_names(regions: Sequence[str], folds: int | None) -> list[str]:
    return [heldout_name(fold) for fold in region_folds(regions, folds)]


def heldout_site_sets(site_regions: pd.DataFrame, regions: Sequence[str], folds: int | None,
                      min_sites: int) -> dict[str, dict]:
    """Each held-out model's training sites (every modelled site outside its regions) and test sites (inside).

    Sites without a region (outside the scheme) train no model here either, as for the global
    model. A group whose regions hold no site has nothing to test and trains nothing.
    """
    assigned = site_regions.dropna(subset=["region"]).assign(region=lambda t: t["region"].astype(str))
    records = {}
    for fold in region_folds(regions, folds):
        name = heldout_name(fold)
        inside = assigned["region"].isin(fold)
        test, train = sorted(assigned.loc[inside, "site"]), sorted(assigned.loc[~inside, "site"])
        skipped = None
        if not test:
            skipped = f"region(s) {', '.join(fold)} hold no sites to test"
        elif len(train) < min_sites:
            skipped = f"{len(train)} sites outside {', '.join(fold)}, fewer than partitioning.min_sites={min_sites}"
        if skipped and test:
            log.warning("No model %s: %s.", name, skipped)
        records[name] = {"model": name, "region": "+".join(fold), "held_out": list(fold), "sites": train,
                         "test_sites": test, "skipped": skipped}
    return records
