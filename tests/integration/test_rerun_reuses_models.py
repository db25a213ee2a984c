"""A rerun with unchanged data and settings reuses the finished models; a changed setting retrains."""

from __future__ import annotations

import logging
import os
import time

import pytest
import torch
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from mlflow.tracking import MlflowClient

from tests.conftest import TINY
from tests.kedro_project import copy_project, inside, tracking_uri

MODELS = ["global", "local_F", "local_K"]


class _Messages(logging.Handler):
    """What the tracking hooks log (Kedro's logging setup keeps pytest's caplog out)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _run(project, params):
    handler = _Messages()
    with KedroSession.create(project_path=project, runtime_params=params) as session:
        hooks_log = logging.getLogger("synergy_kedro.kedro_glue.hooks")
        hooks_log.addHandler(handler)
        try:
            session.run(pipeline_name="global_vs_local")
        finally:
            hooks_log.removeHandler(handler)
    models = {name: torch.load(project / f"data/06_models/{name}/model.pt", weights_only=False) for name in MODELS}
    return models, " ".join(handler.messages)


def test_second_run_trains_nothing_and_a_changed_setting_retrains(tmp_path):
    project = copy_project(tmp_path / "project")
    with inside(project):
        bootstrap_project(project)
        first, _ = _run(project, TINY)
        second, said = _run(project, TINY)
        assert "3 of 3 models were reused from an earlier run" in said
        for name in MODELS:
            assert second[name]["reused"] and not first[name]["reused"]
            assert all(torch.equal(first[name]["state_dict"][k], second[name]["state_dict"][k])
                       for k in first[name]["state_dict"])
        changed, said = _run(project, {**TINY, "training": {**TINY["training"], "hidden_size": 6}})
        assert "were reused" not in said
        assert not any(changed[name]["reused"] for name in MODELS)
        assert changed["global"]["state_dict"]["head.weight"].shape == (1, 6)
        assert len({changed[name]["run"]["mlflow_run_id"] for name in MODELS}) == 1
        assert changed["global"]["run"] != second["global"]["run"] != first["global"]["run"]
        # files that look fresh (restored, copied, touched) are still an earlier run's models
        for name in MODELS:
            later = time.time() + 120
            os.utime(project / f"data/06_models/{name}/model.pt", (later, later))
        # valid parameters (so the run starts) that fail in the ingestion node
        broken = {**TINY, "ingestion": {"virtual_conus": {**TINY["ingestion"]["virtual_conus"],
                                                          "focus_l3_codes": ["99.9.9"]}}}
        with pytest.raises(Exception, match=r"focus_l3_codes \['99.9.9'\] are not level-III codes"):
            _run(project, broken)
    client = MlflowClient(tracking_uri=tracking_uri(project))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    reused_flags = sorted(r.data.params["reused_from_earlier_run"] for r in runs if "mlflow.parentRunId" in r.data.tags)
    assert reused_flags == ["False"] * 6 + ["True"] * 3
    parents = sorted((r for r in runs if "mlflow.parentRunId" not in r.data.tags), key=lambda r: r.info.start_time)
    assert [p.info.status for p in parents] == ["FINISHED"] * 3 + ["FAILED"]
    assert changed["global"]["run"] == {"mlflow_run_id": parents[2].info.run_id,
                                        "kedro_session_id": parents[2].data.tags["kedro_session_id"]}
    # the failed run trained nothing: the models on disk are an earlier run's and are not attached to it
    assert not [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parents[-1].info.run_id]
