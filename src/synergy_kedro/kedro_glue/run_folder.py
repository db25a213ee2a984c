"""Where a run's layers 02-08 go inside its environment's ``outputs``: a sub-folder named by an environment variable.

``kedro compare-procedures`` trains the hydrodl procedure's models beside the paper's, not over them.
It is an environment variable, not a ``--params`` key: the run lock and the catalog need the folder
before the parameters are read (reading them in ``after_context_created`` to find it made the
session resolve the catalog with base's ``globals`` instead of the environment's).
"""

from __future__ import annotations

import os

VARIABLE = "SYNERGY_RUN_FOLDER"


def run_folder() -> str:
    """The sub-folder (the catalog's ``${run_folder:}``); "." (the outputs folder itself) when unset."""
    return os.environ.get(VARIABLE) or "."
