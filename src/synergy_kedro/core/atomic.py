"""Write a file so that readers see the old file or the whole new one, never a part.

Every file the project writes for a later run to trust (models, checkpoints, netCDF) goes through
:func:`write_atomically`: the writer fills ``<name>.part``, which is renamed over the target only
when complete, and removed when the write fails or is interrupted (a full disk, Ctrl-C), so no
half-written file is left behind to be mistaken for a result.

A full disk rarely says so: netCDF4 reports "NetCDF: HDF error", torch "enforce fail at
inline_container.cc". So when a write fails while the file system has (next to) no space left,
the error becomes a :class:`~synergy_kedro.core.errors.StorageError` that says the disk is full.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from synergy_kedro.core.errors import storage_error

#: Free space below which a failed write is blamed on a full disk (a block or two of slack).
FULL_DISK_BYTES = 64 * 1024


def write_atomically(path: Path, write: Callable[[Path], None]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".part")
    try:
        write(tmp)
        os.replace(tmp, path)
    except Exception as exc:
        free = shutil.disk_usage(path.parent).free  # measured before the part file frees its space
        tmp.unlink(missing_ok=True)
        if free < FULL_DISK_BYTES:
            raise storage_error(path, f"the disk is full ({free // 1024} KiB left)") from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
