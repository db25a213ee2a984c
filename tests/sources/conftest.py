"""Real-data fixtures of the source readers: the unpacked Caravan archive and its parsed Dataset."""

from __future__ import annotations

from pathlib import Path

import pytest
import xarray as xr

from synergy_kedro.sources.caravan import read_caravan


@pytest.fixture(scope="session")
def caravan_camels(caravan_root: Path) -> xr.Dataset:
    """All 482 basins read with the default selection (its parse time: benchmarks, not tests)."""
    return read_caravan(caravan_root)
