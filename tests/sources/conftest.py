"""Real-data fixtures of the source readers: the unpacked Caravan archive and its parsed Dataset."""

from __future__ import annotations

import tarfile
import time
from pathlib import Path

import pytest
import xarray as xr

from synergy_kedro.sources.caravan import read_caravan


@pytest.fixture(scope="session")
def caravan_root(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``caravan_camels482.tar.xz`` unpacked once per session into a temporary folder (~230 MB)."""
    archive = shared_data / "caravan_camels482.tar.xz"
    if not archive.is_file():
        pytest.skip(f"{archive} not present")
    dest = tmp_path_factory.mktemp("caravan")
    with tarfile.open(archive, "r:xz") as tar:
        tar.extractall(dest, filter="data")
    return dest / "caravan"


@pytest.fixture(scope="session")
def caravan_camels(caravan_root: Path) -> xr.Dataset:
    """All 482 basins read with the default selection; prints the parse time (not asserted)."""
    t0 = time.perf_counter()
    ds = read_caravan(caravan_root)
    print(f"\nread_caravan: {ds.sizes['site']} basins x {ds.sizes['time']} days in {time.perf_counter() - t0:.2f} s")
    return ds


@pytest.fixture(scope="session")
def ecoregions_path(shared_data: Path) -> Path:
    """The real EPA US level-III polygons (GeoJSON, EPSG:4326)."""
    return shared_data / "ecoregions" / "us_eco_l3_conus_covsimpl_0.005.geojson"
