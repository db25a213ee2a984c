"""One look for progress on long work: a bar on a terminal, nothing in CI logs or redirected output.

Training shows its own bar (epoch, loss, ETA); ingestion of many files uses :func:`progress`, and
dask computations (NLDAS aggregation) :func:`dask_progress`. tqdm's ``disable=None`` switches a
bar off when stderr is not a terminal, so logs stay clean.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T], *, desc: str, unit: str, total: int | None = None) -> Iterator[T]:
    """``iterable`` with a bar on a terminal (refreshed at most every 2 s, removed when done)."""
    return tqdm(iterable, desc=desc, unit=unit, total=total, leave=False, mininterval=2, disable=None)


@contextlib.contextmanager
def dask_progress() -> Iterator[None]:
    """Dask's progress bar around a local compute, on a terminal only."""
    if not sys.stderr.isatty():
        yield
        return
    from dask.diagnostics import ProgressBar

    with ProgressBar(minimum=2, dt=1, out=sys.stderr):
        yield
