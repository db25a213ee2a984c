"""Node functions with bound settings that keep their name in ParallelRunner workers.

Several nodes bind structure (namespaces, a variant, a title) with :func:`functools.partial`. Kedro
names a node after its function, and ``functools.update_wrapper`` gives a partial that name in
this process; but multiprocessing's pickler reduces a plain ``partial`` to (func, args, keywords),
dropping the name, so every ParallelRunner worker logged "made from a 'partial' function" and the
node as ``<partial>``. A subclass is pickled by its own ``__reduce__``, which keeps ``__dict__``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, update_wrapper
from typing import Any


class _NamedPartial(partial):
    """A ``partial`` that multiprocessing pickles with its attributes (``__name__`` among them)."""


def named_partial(func: Callable[..., Any], /, **bound: Any) -> partial:
    """``func`` with ``bound`` keyword arguments, named like ``func`` in this process and in workers."""
    return update_wrapper(_NamedPartial(func, **bound), func)
