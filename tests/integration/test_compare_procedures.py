"""``kedro compare-procedures``: global_vs_local under the paper's and hydroDL's procedures, side by side."""

from __future__ import annotations

import copy
import os
import subprocess
import sys

import pandas as pd
import pytest
import torch
import yaml

from synergy_kedro.cli import procedure_runs
from tests.conftest import TINY
from tests.kedro_project import copy_project, inside


def test_the_commands_keep_the_two_procedures_apart():
    (paper, paper_env), (hydrodl, hydrodl_env), (report, report_env) = procedure_runs(
        "caravan", "training.epochs=3", "ParallelRunner")
    assert paper[1:] == ["-m", "kedro", "run", "--env", "caravan", "--pipeline", "global_vs_local", "--params",
                         "training.epochs=3,training.procedure=paper", "--runner", "ParallelRunner"]
    assert "training.epochs=3,training.procedure=hydrodl" in hydrodl
    assert paper_env == {"SYNERGY_RUN_FOLDER": ""} and hydrodl_env == {"SYNERGY_RUN_FOLDER": "procedure_hydrodl"}
    assert report[report.index("--pipeline") + 1] == "procedure_comparison" and report_env["SYNERGY_RUN_FOLDER"] == ""


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("procedures") / "project")
    tiny = copy.deepcopy(TINY)
    tiny["training"] = {"hidden_size": 8, "epochs": 2, "eval_every": 1}  # each procedure's own updates per epoch
    (project / "conf/local/parameters.yml").write_text(yaml.safe_dump(tiny))
    with inside(project):
        done = subprocess.run([sys.executable, "-m", "kedro", "compare-procedures"], capture_output=True, text=True,
                              env={**os.environ, "SYNERGY_RUN_FOLDER": ""}, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        yield project / "data", done.stderr


def test_each_procedure_trains_its_own_models_in_its_own_folder(compared):
    data, log = compared
    assert "$ SYNERGY_RUN_FOLDER=procedure_hydrodl kedro run --pipeline global_vs_local" in log
    paper = torch.load(data / "06_models/global/model.pt", weights_only=False)
    hydrodl = torch.load(data / "procedure_hydrodl/06_models/global/model.pt", weights_only=False)
    assert paper["procedure"]["name"] == "paper" and hydrodl["procedure"]["name"] == "hydrodl"
    paper_budget = pd.read_csv(data / "08_reporting/global_vs_local/budget.csv").set_index("model")
    hydrodl_budget = pd.read_csv(data / "procedure_hydrodl/08_reporting/global_vs_local/budget.csv").set_index("model")
    local = [m for m in paper_budget.index if m != "global"]
    assert local and (paper_budget.loc[local, "batch_size"] == 100).all()  # no cap: every local model has < 100 sites
    assert (hydrodl_budget.loc[local, "batch_size"] < 100).all()  # capped at the site count


def test_the_side_by_side_report_holds_both_verdicts_and_budgets(compared):
    data, _ = compared
    report = (data / "08_reporting/procedures/comparison.md").read_text()
    assert "- **paper** (" in report and "- **hydrodl** (" in report and "Fang et al. (2022)" in report
    table = pd.read_csv(data / "08_reporting/procedures/comparison.csv")
    assert set(table["procedure"]) == {"paper", "hydrodl", "Fang et al. (2022)"}
    for procedure, folder in (("paper", data), ("hydrodl", data / "procedure_hydrodl")):
        own = pd.read_csv(folder / "08_reporting/global_vs_local/comparison.csv").set_index("region").loc["All"]
        row = table[(table["procedure"] == procedure) & (table["metric"] == "RMSE")].iloc[0]
        assert row["global better"] == f"{own['RMSE_share_global_better']:.0%}"
    assert (data / "08_reporting/procedures/verdict_vs_budget.png").stat().st_size > 10_000
    curve = pd.read_csv(data / "08_reporting/global_vs_local/verdict_vs_budget.csv")
    assert set(curve["epoch"]) == {1, 2} and "All" in set(curve["model"])
