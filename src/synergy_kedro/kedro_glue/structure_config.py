"""The parameters that shape the pipelines' *structure* (which namespaces exist).

Kedro builds pipelines before nodes see parameters, yet the models to build depend on them: the
regions of a ``column`` region scheme (one local model each) and the ROIs of the second
experiment. A hook stores the run's parameters (``--env`` and ``--params`` included) right after
the context is created, which Kedro does before it first asks for the pipelines;
``register_pipelines`` reads them here, validated: typed, with no default to re-apply. Outside a
session (e.g. a bare import) the parameters of ``conf/base`` + ``conf/local`` are read from disk
and validated instead.
"""

from __future__ import annotations

import os
from pathlib import Path

from kedro.config import OmegaConfigLoader

from synergy_kedro.core.parameters import Parameters, validate_parameters

_parameters: Parameters | None = None


def remember(parameters: Parameters) -> None:
    global _parameters
    _parameters = parameters


def parameters(conf_source: Path | None = None) -> Parameters | None:
    """This run's parameters, or those on disk when no session has started (None without a conf folder)."""
    if _parameters is not None:
        return _parameters
    conf_source = conf_source or Path.cwd() / "conf"
    if not conf_source.is_dir():
        return None
    loader = OmegaConfigLoader(str(conf_source), base_env="base", default_run_env=os.environ.get("KEDRO_ENV", "local"),
                               merge_strategy={"parameters": "soft"})
    return validate_parameters(loader["parameters"])
