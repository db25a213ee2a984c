"""EPA ecoregion hierarchy and the paper's groupings of it.

The study stratifies sites by EPA (Omernik / CEC North America) ecoregions: level I (e.g. ``8``)
contains level II (``8.3``) contains level III (``8.3.5``). Two groupings are built on it:

* the eighteen **sub-regions A–R** of the first experiment (Fang et al., Table 1): mostly level-II
  regions, with whole level-I regions where the level-II split is too fine (5, 6, 7, 13), and two
  merges (9.5 + 9.6 → L, 14 + 15 → R);
* the **close / far / dissimilar** neighbourhoods of a level-III region of interest (ROI) in the
  second experiment.

Codes are strings everywhere: ``"8.1"`` and ``"8.10"`` are different regions, floats would merge
them. The level-III table shipped with the package (``data/epa_level3_hierarchy.csv``) is the US
EPA list of NA level-III codes with their parents, names, area and a representative point of each
region's polygon (computed from the EPA polygons), so the embedded dataset can place sites inside
the real hierarchy without downloads.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import pandas as pd

#: Sub-region letter → the level-I or level-II codes it is made of (Fang et al., Table 1).
SUBREGIONS: dict[str, tuple[str, ...]] = {
    "A": ("5",),
    "B": ("6",),
    "C": ("7",),
    "D": ("8.1",),
    "E": ("8.2",),
    "F": ("8.3",),
    "G": ("8.4",),
    "H": ("8.5",),
    "I": ("9.2",),
    "J": ("9.3",),
    "K": ("9.4",),
    "L": ("9.5", "9.6"),
    "M": ("10.1",),
    "N": ("10.2",),
    "O": ("11.1",),
    "P": ("12.1",),
    "Q": ("13",),
    "R": ("14", "15"),
}


@lru_cache(maxsize=1)
def level3_hierarchy() -> pd.DataFrame:
    """The packaged table of NA level-III codes (one row each) with level-II and level-I parents."""
    with resources.files("synergy_kedro.data").joinpath("epa_level3_hierarchy.csv").open() as f:
        return pd.read_csv(f, dtype={"na_l3code": str, "na_l2code": str, "na_l1code": str, "us_l3codes": str})


def level2_of(l3_code: str) -> str:
    """Level-II code of a level-III code, by the code's own structure (``8.3.5`` → ``8.3``)."""
    return ".".join(str(l3_code).split(".")[:2])


def level1_of(code: str) -> str:
    """Level-I code of any level-II/III code (``8.3.5`` → ``8``)."""
    return str(code).split(".")[0]


def subregion_of(l3_code: str) -> str | None:
    """Sub-region letter (A–R) of a level-III code, or None where the paper defines none.

    Level-II membership is checked before level-I so that a level-I region split into several
    sub-regions (8, 9, 10) never falls into a merged one.
    """
    l2, l1 = level2_of(l3_code), level1_of(l3_code)
    for letter, members in SUBREGIONS.items():
        if l2 in members:
            return letter
    for letter, members in SUBREGIONS.items():
        if l1 in members:
            return letter
    return None


def subregions_of(l3_codes: pd.Series) -> pd.Series:
    """Vectorised :func:`subregion_of` over a Series of level-III codes (missing → None)."""
    unique = {code: subregion_of(code) for code in pd.unique(l3_codes.dropna())}
    return l3_codes.map(unique)


def neighbourhoods(roi: str, l3_of_site: pd.Series) -> dict[str, list[str]]:
    """Site sets of the second experiment for a level-III region of interest.

    ``l3_of_site`` maps site id → level-III code. Returned sets (site ids, sorted):

    * ``local``: the ROI's own sites;
    * ``close``: sites in the ROI's level-II region, outside the ROI (the paper's close neighbours);
    * ``far``: sites in the ROI's level-I region, outside its level-II region;
    * ``dissimilar``: sites outside the ROI's level-I region.

    Training sets are ``local`` plus one of the others (see :func:`synergy_kedro.regions.experiment_design.roi_training_sets`).
    """
    l3 = l3_of_site.dropna().astype(str)
    l2 = l3.map(level2_of)
    l1 = l3.map(level1_of)
    roi_l2, roi_l1 = level2_of(roi), level1_of(roi)
    masks = {
        "local": l3 == roi,
        "close": (l2 == roi_l2) & (l3 != roi),
        "far": (l1 == roi_l1) & (l2 != roi_l2),
        "dissimilar": l1 != roi_l1,
    }
    return {name: sorted(l3.index[mask]) for name, mask in masks.items()}
