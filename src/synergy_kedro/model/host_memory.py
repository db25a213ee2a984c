"""Let a training process reuse the host memory it frees instead of handing it back to the kernel.

A streamflow step allocates and frees buffers larger than glibc's mmap threshold (32 MB), so by
default each step maps them afresh and faults their pages in again; the kernel time then rivals
the arithmetic. With ``mmap`` off and trimming raised, freed blocks stay in the heap and the next
step reuses them, for some more resident memory (figures: benchmarks/RESULTS.md, "Host memory").
Only the process that trains is changed (Kedro's ParallelRunner workers each call this), and only
on Linux with glibc; ``SYNERGY_KEEP_FREED_MEMORY=0`` leaves the allocator as it is.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

log = logging.getLogger(__name__)

SWITCH = "SYNERGY_KEEP_FREED_MEMORY"
_M_TRIM_THRESHOLD, _M_MMAP_MAX = -1, -4  # glibc's mallopt parameter numbers (malloc.h)
_TRIM_THRESHOLD = 1 << 30  # give memory back only when a whole GiB at the heap's top is free
_done: bool | None = None


def keep_freed_memory() -> bool:
    """Switch glibc to reusing freed blocks in this process (once); True if it is on."""
    global _done
    if _done is None:
        _done = _switch_allocator()
    return _done


def _switch_allocator() -> bool:
    if os.environ.get(SWITCH, "1") == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        switched = libc.mallopt(_M_MMAP_MAX, 0) == 1 and libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to switch
        return False
    if switched:
        log.debug("glibc keeps freed memory for reuse in process %d (%s=0 turns this off)", os.getpid(), SWITCH)
    return switched
