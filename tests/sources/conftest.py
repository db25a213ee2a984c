"""Real-data fixtures of the source readers: the unpacked Caravan archive and its parsed Dataset."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import xarray as xr

from synergy_kedro.sources.caravan import read_caravan


@pytest.fixture(scope="session")
def caravan_camels(caravan_root: Path) -> xr.Dataset:
    """All 482 basins read with the default selection; prints the parse time (not asserted)."""
    t0 = time.perf_counter()
    ds = read_caravan(caravan_root)
    print(f"\nread_caravan: {ds.sizes['site']} basins x {ds.sizes['time']} days in {time.perf_counter() - t0:.2f} s")
    return ds
