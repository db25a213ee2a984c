"""How sites are grouped into the regions that get local models (``partitioning.scheme``).

* ``epa``: the paper's sub-regions A–R from each site's EPA level-III code;
* ``column``: a label already in the data (e.g. GAGES-II ``AGGECOREGION`` or ``HUC02``), with the
  labels to model listed in ``partitioning.regions`` (they name the local models' namespaces, so
  they must be known before the run).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from synergy_kedro.errors import ConfigurationError
from synergy_kedro.regions import SUBREGIONS

SCHEMES = ("epa", "column")


def scheme_regions(partitioning: Mapping[str, Any]) -> list[str]:
    """The region labels that get a local model, in table order."""
    scheme = partitioning.get("scheme", "epa")
    if scheme == "epa":
        return list(SUBREGIONS)
    if scheme == "column":
        regions = partitioning.get("regions")
        if not regions:
            raise ConfigurationError("partitioning.scheme=column needs partitioning.regions: the labels of "
                             f"{partitioning.get('column')!r} that get a local model.")
        return [str(r) for r in regions]
    raise ConfigurationError(f"partitioning.scheme={scheme!r} is not known; choose one of {SCHEMES}.")


def local_model_name(region: str) -> str:
    """``A`` → ``local_A``; ``Central Plains`` → ``local_Central_Plains`` (namespaces take no dots)."""
    return "local_" + re.sub(r"\W+", "_", str(region)).strip("_")


def model_names(regions: Sequence[str]) -> list[str]:
    return ["global", *(local_model_name(r) for r in regions)]
