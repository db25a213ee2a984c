"""`kedro run` ends a user error with its message and status 1, and without a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from synergy_kedro.core.errors import ConfigurationError, UserError, user_error_in
from synergy_kedro.sources.errors import SourceDataError
from tests.kedro_project import copy_project, tracking_uri


def _kedro_run(project, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri(project)}
    return subprocess.run([sys.executable, "-m", "kedro", "run", *args], cwd=project, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return copy_project(tmp_path_factory.mktemp("cli_errors"))


def test_missing_raw_folder_prints_the_message_not_a_traceback(project):
    done = _kedro_run(project, "--env", "caravan", "--pipeline", "global_vs_local")
    output = done.stdout + done.stderr
    assert done.returncode == 1
    assert "Error:" in done.stderr and "is not a Caravan folder" in done.stderr
    assert "Traceback" not in output and "File \"" not in output


def test_a_bad_parameter_names_the_parameter_and_the_choices(project):
    done = _kedro_run(project, "--pipeline", "global_vs_local", "--params", "partitioning.scheme=huc")
    assert done.returncode == 1
    assert "partitioning.scheme is 'huc': Input should be 'epa' or 'column'" in done.stderr
    assert "nothing has run" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_user_error_is_found_behind_kedro_wrappers():
    try:
        try:
            raise SourceDataError("folder x does not exist")
        except SourceDataError as inner:
            raise RuntimeError("Failed while loading data from dataset raw_basins") from inner
    except RuntimeError as outer:
        assert isinstance(user_error_in(outer), SourceDataError)
    assert user_error_in(KeyError("a bug")) is None
    assert issubclass(ConfigurationError, UserError) and issubclass(ConfigurationError, ValueError)


@pytest.mark.parametrize("args,message", [
    (("--env", "nope", "--pipeline", "global_vs_local"),
     "--env 'nope' is not an environment of this project (conf/nope does not exist); choose one of: camels_us, caravan"),
    (("--pipeline", "global_vs_locl"),
     "--pipeline global_vs_locl is not a pipeline of this project; choose one of: __default__"),
])
def test_an_unknown_env_or_pipeline_lists_the_valid_ones(project, args, message):
    done = _kedro_run(project, *args)
    assert done.returncode == 1
    assert message in " ".join(done.stderr.split())
    assert "similar_vs_dissimilar" in done.stderr or "smap_hydrodl" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_finished_run_ends_with_the_verdict_the_reports_and_the_mlflow_command(project):
    tiny = ["--params", "training.epochs=1,training.hidden_size=8,training.iterations_per_epoch=2,"
            "ingestion.virtual_conus.sites_per_subregion=3"]
    done = _kedro_run(project, "--pipeline", "global_vs_local", *tiny)
    assert done.returncode == 0, done.stderr[-3000:]
    tail = done.stdout[-4000:]
    assert "# Global vs local (soil_moisture): this run beside Fang et al. (2022)" in tail
    assert "| RMSE" in tail and "Reports: data/08_reporting/global_vs_local" in tail
    assert "mlflow ui --backend-store-uri sqlite:///" in tail
    console = done.stdout + done.stderr
    assert "register_new_resolver" not in console and "contain '.' characters" not in console  # a quiet console
    assert "deprecated" not in console.lower()
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri(project))
    runs = client.search_runs([client.get_experiment_by_name("synergy_kedro").experiment_id])
    # the environment the run read (Kedro's default_run_env), not "None"
    (finished,) = [r for r in runs if "mlflow.parentRunId" not in r.data.tags and r.info.status == "FINISHED"]
    assert finished.data.tags["kedro_env"] == "local"
