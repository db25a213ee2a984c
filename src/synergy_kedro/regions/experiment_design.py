"""The second experiment's training sets: local, +close, +far, +dissimilar, per ROI and variant.

For a level-III region of interest (ROI) the four models train on the ROI's sites plus, in turn,
nothing, its close neighbours (same level II), its far neighbours (same level I, other level II)
and dissimilar sites (other level I); all four are tested on the ROI's own sites. In the
*size-controlled* variant the added sites are randomly drawn (seeded per ROI) down to the size of
the smallest of the three additions, so that a difference between sets is about *which* data
was added, not *how much* (Fang et al., second experiment).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from synergy_kedro.regions.hierarchy import neighbourhoods

VARIANTS: dict[str, bool] = {"all_data": False, "size_controlled": True}
SETS: tuple[str, ...] = ("local", "close", "far", "dissimilar")
PAIRS: tuple[tuple[str, str], ...] = (("local", "close"), ("close", "far"), ("far", "dissimilar"), ("close", "dissimilar"))


def roi_slug(roi: str) -> str:
    """``8.3.5`` → ``roi_8_3_5``: Kedro reserves ``.`` in names for namespaces."""
    return "roi_" + str(roi).replace(".", "_")


def namespace(variant: str, roi: str, set_name: str) -> str:
    return f"sim.{variant}.{roi_slug(roi)}.{set_name}"


def all_namespaces(rois: Iterable[str]) -> list[str]:
    return [namespace(v, r, s) for v in VARIANTS for r in rois for s in SETS]


def roi_training_sets(roi: str, l3_of_site: pd.Series, size_controlled: bool, seed: int) -> dict[str, list[str]]:
    """Training sites of the four sets of one ROI (sorted ids); the ROI's own sites lead every set."""
    groups = neighbourhoods(roi, l3_of_site)
    added = {name: groups[name] for name in SETS[1:]}
    if size_controlled:
        n = min(len(sites) for sites in added.values())
        rng = np.random.default_rng([seed, *(int(part) for part in str(roi).split("."))])
        added = {name: sorted(rng.choice(sites, size=n, replace=False).tolist()) for name, sites in added.items()}
    return {"local": groups["local"], **{name: sorted(groups["local"] + sites) for name, sites in added.items()}}


def design_site_sets(site_regions: pd.DataFrame, rois: Sequence[str], variants: Sequence[str], min_sites: int,
                     seed: int) -> dict[str, dict]:
    """Every selected (variant, ROI, set) → its site-set record; ROIs with too few sites are skipped."""
    l3 = site_regions.set_index("site")["eco_l3"]
    records: dict[str, dict] = {}
    for variant in variants:
        for roi in rois:
            sets = roi_training_sets(roi, l3, VARIANTS[variant], seed)
            local = sets["local"]
            for set_name, sites in sets.items():
                ns = namespace(variant, roi, set_name)
                skipped = None
                if len(local) < min_sites:
                    skipped = f"ROI {roi} has {len(local)} sites, fewer than similar_vs_dissimilar.min_sites={min_sites}"
                elif set_name != "local" and len(sites) == len(local):
                    skipped = f"ROI {roi} has no {set_name} sites to add"
                records[ns] = {"model": ns, "region": roi, "variant": variant, "set": set_name,
                               "n_added": len(sites) - len(local), "sites": sites, "test_sites": local,
                               "skipped": skipped}
    return records
