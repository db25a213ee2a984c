"""The parameters that shape the pipelines' *structure* (which namespaces exist).

Kedro builds pipelines before nodes see parameters, yet the models to build depend on them: the
regions of a ``column`` region scheme (one local model each) and the ROIs of the second
experiment. A hook stores the run's parameters (``--env`` and ``--params`` included) right after
the context is created, which Kedro does before it first asks for the pipelines;
``register_pipelines`` reads them here. Outside a session (e.g. a bare import) the parameters of
``conf/base`` + ``conf/local`` are read from disk instead.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kedro.config import OmegaConfigLoader

_parameters: dict[str, Any] | None = None


def remember(parameters: Mapping[str, Any]) -> None:
    global _parameters
    _parameters = dict(parameters)


def parameters(conf_source: Path | None = None) -> dict[str, Any]:
    """This run's parameters, or those on disk when no session has started."""
    if _parameters is not None:
        return _parameters
    conf_source = conf_source or Path.cwd() / "conf"
    if not conf_source.is_dir():
        return {}
    loader = OmegaConfigLoader(str(conf_source), base_env="base", default_run_env=os.environ.get("KEDRO_ENV", "local"),
                               merge_strategy={"parameters": "soft"})
    return dict(loader["parameters"])
