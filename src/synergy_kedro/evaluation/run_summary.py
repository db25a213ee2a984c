"""The few lines a user reads when a run ends: the verdict beside the paper, where the reports are, how to open MLflow.

A run logs hundreds of catalog lines; the answer to the study's question is in
``paper_comparison.md``. This block repeats its head (the verdict, the convergence line and the
pooled table beside the paper's numbers) on the console and in a notebook, with the folder of the
reports and the ``mlflow ui`` command that shows this run.
"""

from __future__ import annotations

import shlex
from pathlib import Path

RULE = "─" * 78


def report_head(markdown: str) -> list[str]:
    """The report's title, paragraphs and first table, up to the line after that table.

    A report whose first table sits in a section (the second experiment's ``## all data``) keeps
    that section's heading and table: the head is there to show a table.
    """
    lines, seen_table = [], False
    for line in markdown.splitlines():
        if line.startswith("## ") and (seen_table or any(x.startswith("## ") for x in lines)):
            break
        if seen_table and not line.startswith("|"):
            break
        seen_table = seen_table or line.startswith("|")
        lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def run_summary(reports: dict[str, str], report_folders: list[Path], tracking_uri: str | None,
                run_id: str | None) -> str:
    """The summary block: each experiment's report head, then where to look next."""
    out = ["", RULE]
    for markdown in reports.values():
        out += [*report_head(markdown), ""]
    out += [f"Reports: {folder}" for folder in report_folders]
    if run_id and tracking_uri:
        # quoted: a project path with a space (or a URI with ?/&) must still paste as one argument
        out.append(f"MLflow run {run_id}: mlflow ui --backend-store-uri {shlex.quote(tracking_uri)}")
    out.append(RULE)
    return "\n".join(out)
