"""How sites are grouped into the regions that get local models (``partitioning.scheme``).

* ``epa``: the paper's sub-regions A–R from each site's EPA level-III code;
* ``column``: a label already in the data (e.g. GAGES-II ``AGGECOREGION`` or ``HUC02``), with the
  labels to model listed in ``partitioning.regions``, or ``all``.

The labels name the local models' namespaces, and Kedro builds the pipeline before any data is
read, so they must be known before the run. ``all`` (the default) therefore means every label the
column can take, from the published code lists of the columns in :data:`KNOWN_LABELS`; a label
with fewer than ``partitioning.min_sites`` sites in the data gets no model ("No Sites"), as in
the ``epa`` scheme. Another column needs its labels listed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.core.parameters import Partitioning
from synergy_kedro.regions.hierarchy import SUBREGIONS, level3_hierarchy


def _epa_codes(level: str) -> tuple[str, ...]:
    codes = level3_hierarchy()[f"na_{level}code"].astype(str).unique()
    return tuple(sorted(codes, key=lambda c: [int(part) for part in c.split(".")]))


#: Every label a known column can take: GAGES-II (gagesII_sept30_2011_conterm, Bas_Classif and
#: BasinID tables) and the EPA codes of the canonical Dataset's coordinates.
KNOWN_LABELS: dict[str, Callable[[], tuple[str, ...]]] = {
    "AGGECOREGION": lambda: ("CntlPlains", "EastHghlnds", "MxWdShld", "NorthEast", "SECstPlain", "SEPlains",
                             "WestMnts", "WestPlains", "WestXeric"),
    "HUC02": lambda: ("01", "02", "03", "04", "05", "06", "07", "08", "09", "10L", "10U", "11", "12", "13", "14",
                      "15", "16", "17", "18"),
    "CLASS": lambda: ("Non-ref", "Ref"),
    "eco_l1": lambda: _epa_codes("l1"),
    "eco_l2": lambda: _epa_codes("l2"),
    "eco_l3": lambda: _epa_codes("l3"),
}


def scheme_regions(partitioning: Partitioning | None) -> list[str]:
    """The region labels that get a local model, in table order (no block: the paper's A–R)."""
    if partitioning is None or partitioning.scheme == "epa":  # the block's model admits epa and column only
        return list(SUBREGIONS)
    regions, column = partitioning.regions, partitioning.column
    if regions in (None, "all"):
        if column not in KNOWN_LABELS:
            raise ConfigurationError(
                f"partitioning.regions: all needs the labels of partitioning.column={column!r} before the data "
                f"is read, and they are known only for {', '.join(KNOWN_LABELS)}; list the labels that get "
                "a local model in partitioning.regions.")
        return list(KNOWN_LABELS[column]())
    return [str(r) for r in regions]


def local_model_name(region: str) -> str:
    """``A`` → ``local_A``; ``Central Plains`` → ``local_Central_Plains`` (namespaces take no dots)."""
    return "local_" + re.sub(r"\W+", "_", str(region)).strip("_")


def model_names(regions: Sequence[str]) -> list[str]:
    return ["global", *(local_model_name(r) for r in regions)]


def seed_repeat_name(repeat: int, name: str) -> str:
    """``(2, "local_A")`` → ``seed2.local_A``: the same model trained with ``training.seed + 2`` (``global_vs_local.seed_repeats``)."""
    return f"seed{repeat}.{name}"


def seed_repeat_names(names: Sequence[str], repeats: int) -> list[str]:
    """Every repeat r = 1…``repeats`` − 1 of every model of ``names`` (repeat 0 is the model itself)."""
    return [seed_repeat_name(r, name) for r in range(1, repeats) for name in names]


def seed_repeat_of(name: str) -> int:
    """The repeat a namespace trains (``seed2.local_A`` → 2, ``local_A`` → 0)."""
    prefix, _, rest = name.partition(".")
    return int(prefix.removeprefix("seed")) if rest and re.fullmatch(r"seed\d+", prefix) else 0
