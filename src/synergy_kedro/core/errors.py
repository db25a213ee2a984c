"""The one base class of errors in the user's data or settings.

A user error is not a bug: the command line prints its message (which names the file, field or
parameter and what to do) and exits with status 1, without a traceback. Anything else keeps its
traceback, because then the traceback is what a developer needs. A full disk or a folder the run
may not write is the user's to fix too, so such an ``OSError`` anywhere in the chain counts as one.
"""

from __future__ import annotations

import errno


class UserError(Exception):
    """Bad input data or settings, explained in the message."""


class SourceDataError(UserError, ValueError):
    """A source file or folder is missing, or lacks a required column, basin or value (readers, regions)."""


class ConfigurationError(UserError, ValueError):
    """A parameter has a value the project cannot use (the message names it and the choices)."""


class StorageError(UserError, OSError):
    """A file could not be written or read because of the disk or its permissions, not the data."""


_STORAGE_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is larger than this system allows",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
}


def storage_error(path: object, reason: str) -> StorageError:
    return StorageError(f"Cannot write or read {path}: {reason}. Free space or make the folder writable (or point "
                        "globals.yml outputs elsewhere), then run the same command again: finished models are kept.")


def user_error_in(exc: BaseException) -> UserError | None:
    """The first :class:`UserError` in ``exc``'s chain (Kedro wraps dataset errors), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, UserError):
            return current
        if isinstance(current, OSError) and current.errno in _STORAGE_REASONS:
            return storage_error(current.filename or "a file", _STORAGE_REASONS[current.errno])
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
