"""A target by name: its kind picks the paper's defaults for it, and travels with it to every node."""

import pickle

import pytest

from synergy_kedro.core import procedures
from synergy_kedro.core.parameters import for_target
from synergy_kedro.core.targets import TargetName, describe, kind_of, lookup_keys, primary_metric

METRICS = {"soil_moisture": ["RMSE", "R"], "streamflow": ["NSE", "R"]}


@pytest.mark.parametrize("name,kind,metrics,primary,start", [
    ("swe", "state", ["RMSE", "R"], "RMSE", "cold"),
    ("discharge", "flux", ["NSE", "R"], "NSE", "warm"),
    ("soil_moisture", None, ["RMSE", "R"], "RMSE", "cold"),
    ("streamflow", None, ["NSE", "R"], "NSE", "warm"),
])
def test_a_state_and_a_flux_pick_their_metrics_and_test_start(name, kind, metrics, primary, start):
    target = describe(name, kind)
    assert for_target(METRICS, target) == metrics and primary_metric(target) == primary
    assert procedures.resolve("paper", target).test_start == start


def test_the_users_own_key_wins_over_the_kind_and_a_kind_key_over_the_paper_target():
    target = describe("swe", "state")
    assert lookup_keys(target) == ["swe", "state", "soil_moisture"]
    assert for_target({"soil_moisture": 30, "state": 60}, target) == 60
    assert for_target({"soil_moisture": 30, "swe": 90}, target) == 90
    assert for_target({"streamflow": 365}, target) is None


def test_the_kind_and_units_survive_pickling_to_a_worker():
    target = pickle.loads(pickle.dumps(TargetName("swe", "state", "mm")))
    assert (str(target), target.kind, target.units) == ("swe", "state", "mm") and kind_of(target) == "state"
    assert {"swe": 1}[target] == 1  # still the variable's name


def test_an_unknown_name_without_a_kind_is_refused():
    with pytest.raises(ValueError, match="needs target_kind"):
        describe("swe")
