"""A region without gauges borrows the model of the most similar region: same level II, then I, then nearest."""

import numpy as np
import pandas as pd
import pytest

from synergy_kedro.regions.donors import choose_donors, great_circle_km


def _site_regions():
    """Six hand-built regions: R1, R2 share level II 8.1; R3 is level II 8.2 (level I 8); R4, R5 level I 9; R6 alone."""
    regions = {
        "R1": ("8.1", "8", 40.0, -80.0), "R2": ("8.1", "8", 42.0, -78.0), "R3": ("8.2", "8", 40.0, -81.0),
        "R4": ("9.1", "9", 35.0, -100.0), "R5": ("9.2", "9", 45.0, -100.0), "R6": ("10.1", "10", 36.0, -99.0),
    }
    rows = []
    for name, (l2, l1, lat, lon) in regions.items():
        for k in range(3):
            rows.append({"site": f"{name}_{k}", "region": name, "eco_l2": l2, "eco_l1": l1,
                         "lat": lat + 0.1 * k, "lon": lon})
    rows.append({"site": "odd", "region": "R1", "eco_l2": "9.1", "eco_l1": "9", "lat": 40.0, "lon": -80.0})
    return pd.DataFrame(rows)


def test_the_donor_is_the_same_level_ii_then_level_i_then_the_nearest_region():
    donors = choose_donors(_site_regions(), ["R1", "R2", "R3", "R4", "R5", "R6"]).set_index("region")
    # R1's level II 8.1 is shared with R2 only, although R3 is nearer (and one site of R1 lies in 9.1)
    assert donors.loc["R1", ["donor", "rule"]].tolist() == ["R2", "same level II"]
    assert donors.loc["R2", ["donor", "rule"]].tolist() == ["R1", "same level II"]
    # R3 shares level I 8 with R1 and R2: the nearer of the two
    assert donors.loc["R3", ["donor", "rule"]].tolist() == ["R1", "same level I"]
    # R4 shares level I 9 with R5 only, although R6 is much nearer
    assert donors.loc["R4", ["donor", "rule"]].tolist() == ["R5", "same level I"]
    # R6 shares nothing: the nearest region's centroid (R4)
    assert donors.loc["R6", ["donor", "rule"]].tolist() == ["R4", "nearest"]
    assert donors.loc["R6", "distance_km"] == pytest.approx(great_circle_km(36.1, -99.0, np.array([35.1]),
                                                                            np.array([-100.0]))[0], abs=0.1)


def test_only_regions_with_a_trained_local_model_donate():
    donors = choose_donors(_site_regions(), ["R3", "R6"]).set_index("region")
    assert donors.loc["R1", ["donor", "rule"]].tolist() == ["R3", "same level I"]
    assert donors.loc["R3", ["donor", "rule"]].tolist() == ["R6", "nearest"]
    alone = choose_donors(_site_regions(), ["R3"]).set_index("region")
    assert alone.loc["R3", "donor"] is None or pd.isna(alone.loc["R3", "donor"])
    assert alone.loc["R3", "rule"] == "no other region has a local model"


def test_the_distance_is_the_great_circle():
    # one degree of latitude is 111.2 km on a sphere of radius 6371 km
    assert great_circle_km(0.0, 0.0, np.array([1.0]), np.array([0.0]))[0] == pytest.approx(111.19, abs=0.01)
