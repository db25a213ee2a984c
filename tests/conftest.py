"""Shared fixtures: the tiny configuration, the real public data beside the clone."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest
import xarray as xr

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

#: The tiny configuration every end-to-end test runs (``--params`` over conf/base): a small virtual
#: CONUS where only sub-regions F and K (focus codes 8.3.5 and 9.4.2) reach min_sites, so
#: global_vs_local trains three models (global, local_F, local_K) of hidden size 8 for 2 epochs.
TINY = {
    "ingestion": {"virtual_conus": {"sites_per_subregion": 3, "sites_per_focus_l3": 3,
                                    "focus_l3_codes": ["8.3.5", "9.4.2"], "n_years": 2, "start": "2010-01-01"}},
    "periods": {"train": ["2010-01-01", "2010-12-31"], "test": ["2011-01-01", "2011-12-31"]},
    "partitioning": {"min_sites": 5},
    "training": {"hidden_size": 8, "epochs": 2, "iterations_per_epoch": 3},
}


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; skipped where absent, except in CI (SYNERGY_REQUIRE_SHARED=1) where it must exist."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("SYNERGY_REQUIRE_SHARED"):
            pytest.fail(f"{SHARED_DATA} is missing but SYNERGY_REQUIRE_SHARED is set (CI must not skip real-data tests).")
        pytest.skip(f"{SHARED_DATA} not present")
    return SHARED_DATA


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
    """All 482 basins read with the default selection (its parse time: benchmarks, not tests)."""
    from synergy_kedro.sources.caravan import read_caravan

    return read_caravan(caravan_root)


@pytest.fixture(scope="session")
def ecoregions_path(shared_data: Path) -> Path:
    """The real EPA US level-III polygons (GeoJSON, EPSG:4326)."""
    return shared_data / "ecoregions" / "us_eco_l3_conus_covsimpl_0.005.geojson"
