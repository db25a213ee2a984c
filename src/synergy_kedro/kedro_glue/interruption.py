"""A Ctrl-C that reaches the CLI even when a library swallows the KeyboardInterrupt.

netCDF4 1.7.5 loses a KeyboardInterrupt that Python raises while netCDF4 checks a read's status
(``_ensure_nc_success``): measured on this project's machine, about one Ctrl-C in four that falls in
an ``xarray.open_dataset(...).load()`` vanishes without a trace, and the run then goes on and ends
"successfully", its parent MLflow run FINISHED. The handler installed here raises as Python's own
does and, until the CLI confirms that the interrupt arrived, raises it again every ``RESEND_S``
seconds from a watcher thread, so a swallowed Ctrl-C costs a fraction of a second, not the run.

SIGTERM (``timeout``, ``docker stop``, SLURM's time limit, systemd) is taken the same way: the run
stops as after a Ctrl-C (finished models logged, parent run KILLED, lock released), and
:func:`terminated` tells the CLI to say so and exit 143.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

RESEND_S = 0.2

_caught = threading.Event()
_terminated = threading.Event()
_watcher: threading.Thread | None = None


def install() -> bool:
    """Take over SIGTERM (if at its default) and SIGINT (if Python's handler has it; an ignored SIGINT stays ignored).

    Returns whether SIGINT was taken over.
    """
    _caught.clear()
    _terminated.clear()
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        return False
    signal.signal(signal.SIGINT, _on_sigint)
    return True


def caught() -> None:
    """The CLI has the KeyboardInterrupt: stop resending and give Ctrl-C and SIGTERM back to Python."""
    _caught.set()
    if _watcher is not None:
        _watcher.join()
    if signal.getsignal(signal.SIGINT) is _on_sigint:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def terminated() -> bool:
    """Whether the interrupt came from SIGTERM (since :func:`install`)."""
    return _terminated.is_set()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    _terminated.set()
    _on_sigint(signum, frame)


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    global _watcher
    if _caught.is_set():  # a resend that crossed the CLI's confirmation
        return
    if _watcher is None or not _watcher.is_alive():
        _watcher = threading.Thread(target=_resend_until_caught, name="sigint-resend", daemon=True)
        _watcher.start()
    raise KeyboardInterrupt


def _resend_until_caught() -> None:
    # SIGTERM's own handler where SIGINT is ignored (a background job), else SIGINT's
    resend = signal.SIGINT if signal.getsignal(signal.SIGINT) is _on_sigint else signal.SIGTERM
    while not _caught.wait(RESEND_S):
        os.kill(os.getpid(), resend)


def release_stale_io_locks() -> list[str]:
    """Release xarray's process-wide netCDF/HDF5 locks if the interrupt left them held.

    An interrupt that lands between a lock's acquire and the body of its ``with`` leaves xarray's
    global HDF5 lock held by the main thread, and the finished models' logging, which reads netCDF
    again, then waits on it forever (seen about once in five Ctrl-C tests). After the interrupt no
    other thread reads or writes netCDF, so a held lock is stale. xarray has no public way to ask
    who holds its locks: its module-level locks are used as they are.
    """
    from xarray.backends import locks

    candidates = {"HDF5_LOCK": locks.HDF5_LOCK, "NETCDFC_LOCK": locks.NETCDFC_LOCK,
                  **{f"file lock {key}": lock for key, lock in getattr(locks, "_FILE_LOCKS", {}).items()}}
    released = []
    for name, lock in candidates.items():
        if lock.locked():
            lock.release()
            released.append(name)
    return released


def quiet_half_built_file_managers() -> None:
    """Keep an interrupted xarray file handle's destructor from printing a traceback after the one-line message.

    An interrupt inside ``CachingFileManager.__init__`` leaves an object without ``_ref_counter``;
    its ``__del__`` then raises AttributeError, which Python prints as "Exception ignored in …" with
    a traceback, under the run's clean "Interrupted" line. Only that case is silenced; any other
    unraisable exception goes to the hook that was there.
    """
    previous = sys.unraisablehook

    def hook(unraisable: Any) -> None:
        owner = getattr(unraisable.object, "__qualname__", "")
        if isinstance(unraisable.exc_value, AttributeError) and owner.endswith("CachingFileManager.__del__"):
            return
        previous(unraisable)

    sys.unraisablehook = hook
