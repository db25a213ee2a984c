"""The one base class of errors in the user's data or settings.

A user error is not a bug: the command line prints its message (which names the file, field or
parameter and what to do) and exits with status 1, without a traceback. Anything else keeps its
traceback, because then the traceback is what a developer needs.
"""

from __future__ import annotations


class UserError(Exception):
    """Bad input data or settings, explained in the message."""


class ConfigurationError(UserError, ValueError):
    """A parameter has a value the project cannot use (the message names it and the choices)."""


def user_error_in(exc: BaseException) -> UserError | None:
    """The first :class:`UserError` in ``exc``'s chain (Kedro wraps dataset errors), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, UserError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None
