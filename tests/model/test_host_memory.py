"""A training process reuses the large buffers it frees instead of page-faulting them in again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator only")

PROBE = """
import ctypes, resource
from synergy_kedro.model.host_memory import keep_freed_memory
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype, libc.malloc.argtypes, libc.free.argtypes = ctypes.c_void_p, [ctypes.c_size_t], [ctypes.c_void_p]
switched = keep_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):  # what a training step does with its large buffers, without torch's threads
    buffer = libc.malloc(100 * 2**20)  # 100 MB, above glibc's largest mmap threshold
    ctypes.memset(buffer, 1, 100 * 2**20)
    libc.free(buffer)
print(switched, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(**env: str) -> tuple[bool, int]:
    inherited = {k: v for k, v in os.environ.items() if k != "SYNERGY_KEEP_FREED_MEMORY"}
    out = subprocess.run([sys.executable, "-c", PROBE], env={**inherited, **env}, capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0] == "True", int(out[1])


def test_freed_buffers_are_reused_unless_switched_off():
    switched, faults = _faults()
    kept_default, faults_default = _faults(SYNERGY_KEEP_FREED_MEMORY="0")
    assert switched and not kept_default
    pages = 100 * 2**20 // 4096
    assert faults_default > 9 * pages  # every 100 MB buffer faulted in anew: the default allocator
    assert faults < 2 * pages  # the first buffer's pages, then reused
