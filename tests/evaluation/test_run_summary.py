"""The console block at the end of a run: the report's head, where the reports are, how to open MLflow."""

from pathlib import Path

from synergy_kedro.evaluation.run_summary import report_head, run_summary

REPORT = """# Global vs local (streamflow): this run beside Fang et al. (2022)

The paper's direction **holds: the global model is better at 60% of sites (p = 1.0e-03)** on NSE.

| metric | sites | median global |
|:--|:--|:--|
| NSE | 10 | 0.500 |

Paper values are pooled over CONUS.

## Settings

- `epochs`: 3
"""


def test_head_stops_after_the_first_table_and_before_any_section():
    head = report_head(REPORT)
    assert head[0].startswith("# Global vs local") and head[-1] == "| NSE | 10 | 0.500 |"
    assert not any("Settings" in line or "Paper values" in line for line in head)


def test_a_report_whose_first_table_is_in_a_section_shows_that_section_and_its_table():
    report = ("# Similar vs dissimilar (soil_moisture)\n\nThe verdict.\n\n## all data\n\nPer ROI.\n\n"
              "| set | RMSE |\n|:--|:--|\n| local | 0.04 |\n\nAfter.\n\n## size controlled\n\n| set | RMSE |\n")
    head = report_head(report)
    assert head[0] == "# Similar vs dissimilar (soil_moisture)" and "## all data" in head
    assert head[-1] == "| local | 0.04 |" and "## size controlled" not in head


def test_summary_names_the_report_folder_and_the_mlflow_command():
    text = run_summary({"r": REPORT}, [Path("data/08_reporting/global_vs_local")], "sqlite:///mlflow.db", "abc123")
    assert "holds: the global model is better at 60% of sites" in text
    assert "Reports: data/08_reporting/global_vs_local" in text
    assert "MLflow run abc123: mlflow ui --backend-store-uri sqlite:///mlflow.db" in text
    assert "MLflow" not in run_summary({"r": REPORT}, [Path("x")], None, None)


def test_the_mlflow_command_pastes_as_one_argument_where_the_path_has_a_space():
    import shlex

    uri = "sqlite:////home/ana/my projects/synergy/mlflow.db"
    line = run_summary({"r": REPORT}, [Path("x")], uri, "abc123").splitlines()[-2]
    command = line.split(": ", 1)[1]
    assert shlex.split(command) == ["mlflow", "ui", "--backend-store-uri", uri]
