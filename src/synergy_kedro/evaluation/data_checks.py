"""One sentence of a report on what ingestion's checks changed (``ingestion_checks.csv``).

A verdict on 480 basins means something else when 30 of them were dropped for a missing
attribute or one input lost a tenth of its values to a unit mix-up; the report says so where
the verdict is read, not only in a log that scrolled away.
"""

from __future__ import annotations

import pandas as pd

ACTIONS = {"missing_static": "a missing static attribute", "no_training_target": "no target in the training period"}


def data_checks_sentence(checks: pd.DataFrame | None) -> str:
    """``Data checks (ingestion_checks.csv): …`` or an empty string when no table was given."""
    if checks is None:
        return ""
    parts = []
    out = checks[checks["check"] == "out_of_bounds"]
    if len(out):
        per_variable = out.groupby("variable").agg(values=("values", "sum"), sites=("site", "nunique"))
        listed = ", ".join(f"{name} {int(r['values'])} at {int(r['sites'])} site(s)" for name, r in per_variable.iterrows())
        parts.append(f"{int(out['values'].sum())} value(s) outside their physical bounds set missing ({listed})")
    for check, reason in ACTIONS.items():
        rows = checks[checks["check"] == check]
        if len(rows):
            dropped = rows[rows["action"] == "site dropped"]["site"].nunique()
            kept = rows[rows["action"] != "site dropped"]["site"].nunique()
            if dropped:
                parts.append(f"{dropped} site(s) dropped for {reason}")
            if kept:
                parts.append(f"{kept} site(s) with {reason} kept with the training mean")
    if not parts:
        return "Data checks (`ingestion_checks.csv`): every value within its physical bounds, no site dropped."
    return "Data checks (`ingestion_checks.csv`): " + "; ".join(parts) + "."
