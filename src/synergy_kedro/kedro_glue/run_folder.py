"""Where a run's layers 02-08 go inside its environment's ``outputs``: a sub-folder named by an environment variable.

``kedro compare-procedures`` trains the hydrodl procedure's models beside the paper's, not over them.
It is an environment variable, not a ``--params`` key: Kedro does not resolve ``runtime_params:``
beside ``globals:`` in one catalog path, and the folder must be known before parameters are read.
"""

from __future__ import annotations

import os

VARIABLE = "SYNERGY_RUN_FOLDER"


def run_folder() -> str:
    """The sub-folder (the catalog's ``${run_folder:}``); "." (the outputs folder itself) when unset."""
    return os.environ.get(VARIABLE) or "."
