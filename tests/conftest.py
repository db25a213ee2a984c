"""Shared fixtures: the real public data beside the clone, and a throw-away Kedro project copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; skipped where absent, except in CI (SYNERGY_REQUIRE_SHARED=1) where it must exist."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("SYNERGY_REQUIRE_SHARED"):
            pytest.fail(f"{SHARED_DATA} is missing but SYNERGY_REQUIRE_SHARED is set (CI must not skip real-data tests).")
        pytest.skip(f"{SHARED_DATA} not present")
    return SHARED_DATA
