"""A Ctrl-C swallowed by a library still reaches the caller (netCDF4 1.7.5 loses some)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from synergy_kedro.kedro_glue import interruption


def _swallowing_read() -> None:
    """What netCDF4 does to a KeyboardInterrupt raised while it checks a read's status."""
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs here and raises
    except KeyboardInterrupt:
        pass


def _work_after_the_read(seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        time.sleep(0.01)
    return time.monotonic() - started


@pytest.fixture
def default_sigint():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    interruption.caught()
    signal.signal(signal.SIGINT, previous)


def test_without_the_handler_a_swallowed_ctrl_c_is_lost(default_sigint):
    _swallowing_read()
    assert _work_after_the_read(0.6) >= 0.6  # the run would go on and finish


def test_a_swallowed_ctrl_c_is_raised_again_during_the_work_that_follows(default_sigint):
    assert interruption.install()
    with pytest.raises(KeyboardInterrupt):  # not a wall-time bound: a loaded machine only delays the resend
        _swallowing_read()
        _work_after_the_read(60)
    interruption.caught()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert _work_after_the_read(3 * interruption.RESEND_S) >= 3 * interruption.RESEND_S  # no resend once caught


def test_an_ignored_sigint_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        assert not interruption.install()
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_netcdf_lock_left_held_by_an_interrupt_is_released_for_the_logging(tmp_path):
    """The interrupt can land between xarray's lock acquire and its ``with`` body; the logging then read forever."""
    import xarray as xr
    from xarray.backends import locks

    path = tmp_path / "a.nc"
    xr.Dataset({"v": ("x", [1.0, 2.0])}).to_netcdf(path)
    assert locks.HDF5_LOCK.acquire(blocking=False)  # as a KeyboardInterrupt would leave it
    assert interruption.release_stale_io_locks() == ["HDF5_LOCK"]
    assert not locks.HDF5_LOCK.locked()
    assert xr.load_dataset(path)["v"].values.tolist() == [1.0, 2.0]  # would block on the held lock
    assert interruption.release_stale_io_locks() == []  # nothing held: nothing released


def test_only_the_half_built_file_managers_destructor_is_silenced(monkeypatch):
    import sys
    from types import SimpleNamespace

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    interruption.quiet_half_built_file_managers()

    class CachingFileManager:  # the name xarray's class has
        def __del__(self):
            pass

    sys.unraisablehook(SimpleNamespace(exc_value=AttributeError("_ref_counter"), object=CachingFileManager.__del__))
    assert seen == []
    other = SimpleNamespace(exc_value=ValueError("x"), object=CachingFileManager.__del__)
    sys.unraisablehook(other)
    assert seen == [other]
