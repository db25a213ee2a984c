"""The one error type of the data readers, and the checks that raise it.

A reader fails on the user's files, not on the code: the message names the file (or folder), what
is wrong with it and what to do, so that a misnamed column or a wrong ``root`` is fixed from the
message alone. ``SourceDataError`` subclasses ``ValueError`` so generic callers still catch it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from synergy_kedro.core.errors import SourceDataError

__all__ = ["SourceDataError", "require_columns", "require_dir", "require_ids", "require_unique_ids"]


def require_dir(path: Path, what: str, hint: str = "") -> Path:
    """``path`` if it is a folder, else a :class:`SourceDataError` saying what was expected there."""
    if not path.is_dir():
        raise SourceDataError(f"{what} folder {path} does not exist." + (f" {hint}" if hint else ""))
    return path


def require_columns(available: Iterable[str], required: Sequence[str], where: Path | str) -> None:
    """Raise naming ``where`` and every required column it lacks (and the columns it has)."""
    have = list(available)
    missing = [c for c in required if c not in set(have)]
    if missing:
        raise SourceDataError(
            f"{where} lacks the column(s) {missing}; it has {have}. Check the names requested from this"
            " source (they are matched by name, not position)."
        )


def require_unique_ids(ids: Iterable[str], where: Path | str, column: str = "gauge_id") -> None:
    """Raise naming ``where`` and the ids listed more than once (a join on them would pick one silently)."""
    series = pd.Series(list(ids), dtype=object)
    repeated = sorted(series[series.duplicated()].astype(str).unique())
    if repeated:
        raise SourceDataError(f"{where} lists {column} {', '.join(repeated[:20])} more than once"
                              f"{' (and more)' if len(repeated) > 20 else ''}; keep one row per {column}.")


def require_ids(available: Iterable[str], required: Sequence[str], where: Path | str, what: str = "basin") -> None:
    """Raise naming ``where`` and every required id it lacks."""
    have = set(available)
    missing = [i for i in required if i not in have]
    if missing:
        shown = ", ".join(missing[:20]) + (f" … ({len(missing)} in all)" if len(missing) > 20 else "")
        raise SourceDataError(f"{where} has no {what} {shown}. Remove the id(s) from the selection or add the data.")
