"""Regionalization's answer for a region without gauges: borrow the model of the most similar region.

The donor of region R is the local model of another region that trained, chosen by the EPA
hierarchy as the paper's second experiment orders similarity: one whose sites mostly lie in the
same level-II region as R's, else in the same level-I region, else the nearest by the distance
between the regions' site centroids (great circle). Within a level, the nearest wins. The
"mostly" (the most common code among a region's sites) lets the same rule serve any partitioning
scheme: for the paper's sub-regions A–R, which split level II, the level-I step decides
(D…H share level I 8), and for HUC02 or a user's labels the codes of their sites do.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0
RULES = ("same level II", "same level I", "nearest")


def region_profiles(site_regions: pd.DataFrame) -> pd.DataFrame:
    """Per region: the most common level-II and level-I codes of its sites, their centroid and count."""
    assigned = site_regions.dropna(subset=["region"]).assign(region=lambda t: t["region"].astype(str))
    return assigned.groupby("region").agg(
        eco_l2=("eco_l2", _mode), eco_l1=("eco_l1", _mode), lat=("lat", "mean"), lon=("lon", "mean"),
        n_sites=("site", "size"))


def _mode(values: pd.Series) -> str | None:
    counts = values.dropna().astype(str).value_counts()
    return str(counts.index[0]) if len(counts) else None


def great_circle_km(lat1: float, lon1: float, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Haversine distance from one point to many, in km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlat, dlon = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def choose_donors(site_regions: pd.DataFrame, candidates: Iterable[str]) -> pd.DataFrame:
    """For every region with sites: its donor among ``candidates`` (regions with a trained local model), the rule and distance."""
    profiles = region_profiles(site_regions)
    candidates = [str(c) for c in candidates if str(c) in profiles.index]
    rows = []
    for region, own in profiles.iterrows():
        others = profiles.loc[[c for c in candidates if c != region]]
        if others.empty:
            rows.append({"region": region, "donor": None, "rule": "no other region has a local model",
                         "distance_km": np.nan, "n_sites": int(own["n_sites"])})
            continue
        distance = pd.Series(great_circle_km(own["lat"], own["lon"], others["lat"].to_numpy(float),
                                             others["lon"].to_numpy(float)), index=others.index)
        known = others[["eco_l2", "eco_l1"]].notna()
        levels = {"same level II": known["eco_l2"] & (others["eco_l2"] == own["eco_l2"]),
                  "same level I": known["eco_l1"] & (others["eco_l1"] == own["eco_l1"]),
                  "nearest": pd.Series(True, index=others.index)}
        rule = next(name for name, same in levels.items() if same.any())
        donor = distance[levels[rule]].idxmin()
        rows.append({"region": region, "donor": donor, "rule": rule, "distance_km": round(float(distance[donor]), 1),
                     "n_sites": int(own["n_sites"])})
    return pd.DataFrame(rows, columns=["region", "donor", "rule", "distance_km", "n_sites"])
