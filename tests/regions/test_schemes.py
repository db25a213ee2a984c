"""Model names: one module builds and parses them."""

import pytest

from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.regions.schemes import (
    local_model_name,
    model_names,
    scheme_regions,
    seed_repeat_name,
    seed_repeat_names,
    seed_repeat_of,
)
from tests.parameter_blocks import block


def test_seed_repeat_names_round_trip():
    names = model_names(["A", "B"])
    repeats = seed_repeat_names(names, 3)
    assert repeats == ["seed1.global", "seed1.local_A", "seed1.local_B", "seed2.global", "seed2.local_A",
                       "seed2.local_B"]
    assert [seed_repeat_of(n) for n in [*names, *repeats]] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert seed_repeat_of("sim.all_data.roi_8_3_5.local") == 0  # a namespace that is not a repeat
    assert seed_repeat_name(7, "global") == "seed7.global" and seed_repeat_names(names, 1) == []


def test_region_labels_become_namespaces_and_schemes_are_checked():
    assert local_model_name("Central Plains") == "local_Central_Plains"
    assert scheme_regions(block("partitioning", scheme="epa"))[:3] == ["A", "B", "C"]
    assert scheme_regions(None)[-1] == "R"
    with pytest.raises(ConfigurationError, match="partitioning.scheme is 'huc': Input should be 'epa' or 'column'"):
        block("partitioning", scheme="huc")
