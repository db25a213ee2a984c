"""SYNERGY_RUN_FOLDER moves a run's layers 02-08 into a sub-folder of the outputs; unset, they stay where they were."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from kedro.config import OmegaConfigLoader

from synergy_kedro.kedro_glue.run_folder import VARIABLE, run_folder
from synergy_kedro.settings import CONFIG_LOADER_ARGS
from tests.kedro_project import REPO


@pytest.mark.parametrize("value,folder", [(None, "."), ("", "."), ("procedure_hydrodl", "procedure_hydrodl")])
def test_the_folder_is_the_variable_or_the_outputs_folder_itself(monkeypatch, value, folder):
    if value is None:
        monkeypatch.delenv(VARIABLE, raising=False)
    else:
        monkeypatch.setenv(VARIABLE, value)
    assert run_folder() == folder


def _loader() -> OmegaConfigLoader:
    return OmegaConfigLoader(str(REPO / "conf"), env="base", **CONFIG_LOADER_ARGS)


def _canonical_path() -> PurePosixPath:
    return PurePosixPath(_loader()["catalog"]["canonical_dataset"]["filepath"])


def test_the_catalog_puts_the_layers_under_the_folder_read_when_the_catalog_is_resolved(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    plain = _canonical_path()
    monkeypatch.setenv(VARIABLE, "procedure_hydrodl")
    moved = _canonical_path()
    assert plain.parts[-2:] == moved.parts[-2:] == ("02_intermediate", "canonical.nc")
    outputs = PurePosixPath(_loader()["globals"]["outputs"])
    assert plain.parent.parent == outputs  # "<outputs>/./02_intermediate": where the layers were before the variable
    assert moved.parent.parent == outputs / "procedure_hydrodl"
