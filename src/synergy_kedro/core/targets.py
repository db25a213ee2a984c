"""What is predicted: a variable by name, of a kind that chooses the paper's defaults for it.

The paper has two targets. Soil moisture is a **state** (a level that persists: window 30 days,
batch 100, judged by RMSE and r, no transform); streamflow a **flux** (a rate summed over a
basin: window 365 days, batch 500, judged by NSE and r, log-sqrt transformed). A user's variable
(snow water equivalent, groundwater level, stream temperature, evapotranspiration, their agency's
discharge) takes the defaults of its kind: every per-target setting (``{soil_moisture: …,
streamflow: …}``) is looked up by the target's name, then by its kind (``state``/``flux``), then
by the paper's target of that kind. ``soil_moisture`` and ``streamflow`` are names that set their
kind themselves.

Nodes receive the run's target as :class:`TargetName`: a ``str`` (the variable's name, so
``ds[target]`` works) that also carries its kind and units; a plain name works wherever the
kind follows from it.
"""

from __future__ import annotations

from typing import Any

KINDS = ("state", "flux")
#: The paper's targets and their kinds.
NAMED: dict[str, str] = {"soil_moisture": "state", "streamflow": "flux"}
#: The paper's target whose settings a kind borrows.
KIND_DEFAULTS: dict[str, str] = {kind: name for name, kind in NAMED.items()}
#: The metric a verdict is read on, per kind.
PRIMARY_METRIC: dict[str, str] = {"state": "RMSE", "flux": "NSE"}
#: The transform a target of this kind gets unless features.transforms names it.
DEFAULT_TRANSFORM: dict[str, str] = {"state": "none", "flux": "log_sqrt"}


class TargetName(str):
    """The target variable's name, with its ``kind`` (state or flux) and ``units`` (None: the data's)."""

    kind: str
    units: str | None

    def __new__(cls, name: str, kind: str, units: str | None = None) -> TargetName:
        if kind not in KINDS:
            raise ValueError(f"target kind {kind!r} is not one of {KINDS}")
        self = super().__new__(cls, name)
        self.kind, self.units = kind, units
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # ParallelRunner and Dask workers get the kind too
        return TargetName, (str(self), self.kind, self.units)


def kind_of(target: str, declared: str | None = None) -> str | None:
    """The target's kind: declared, carried by a :class:`TargetName`, or that of a paper's target (else None)."""
    return declared or getattr(target, "kind", None) or NAMED.get(str(target))


def describe(target: str, kind: str | None = None, units: str | None = None) -> TargetName:
    """The run's target from the parameters ``target``, ``target_kind``, ``target_units``."""
    resolved = kind_of(target, kind)
    if resolved is None:
        raise ValueError(f"target {target!r} needs target_kind: state or flux")
    return TargetName(str(target), resolved, units)


def lookup_keys(target: str, kind: str | None = None) -> list[str]:
    """Where a per-target setting is looked for: the name, the kind, the paper's target of that kind."""
    resolved = kind_of(target, kind)
    keys = [str(target)]
    if resolved:
        keys += [resolved, KIND_DEFAULTS[resolved]]
    return keys


def primary_metric(target: str, fallback: str = "RMSE") -> str:
    """RMSE for a state, NSE for a flux (the paper's); ``fallback`` where the kind is unknown."""
    resolved = kind_of(target)
    return PRIMARY_METRIC[resolved] if resolved else fallback
