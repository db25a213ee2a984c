"""Every parameter of a run, typed and checked once, before any node runs.

A misspelt key (``training.epoch``) must not be dropped without a word, nor ``epochs: -1`` train
nothing and overwrite every model, nor an impossible date fail deep in pandas. Each block of
``conf/*/parameters*.yml`` (plus ``--params``) is a frozen pydantic model that rejects unknown
keys and checks types and ranges; the checks that span blocks (the window fits in the training
period, the test period follows it, per-target values exist for the run's target) run on the
whole. :func:`validate_parameters` turns every failure into one :class:`ConfigurationError` that
names each key, its value and what is allowed. The YAML holds the defaults; the models hold none,
except that the second experiment's ``training`` block holds only what it changes (the rest comes
from ``training``, see :func:`merged_training`) and source-specific ingestion blocks are optional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from synergy_kedro.core.errors import ConfigurationError
from synergy_kedro.core.targets import NAMED, kind_of, lookup_keys, primary_metric

#: A per-target key: a paper's target, a kind (state/flux) or a user's variable name.
Target = str
BlockT = TypeVar("BlockT", bound=BaseModel)
Positive = Annotated[int, Field(ge=1)]


def _per_target(kind: Any) -> Any:
    """One value for every target, or ``{soil_moisture: …, streamflow: …}`` (keys: targets or kinds)."""
    return kind | dict[Target, kind]


class Block(BaseModel):
    """A parameter block: frozen, and an unknown key is an error (listed with the known ones)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Period(Block):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"ends ({self.end}) before it starts ({self.start})")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class Periods(Block):
    train: Period
    test: Period

    @field_validator("train", "test", mode="before")
    @classmethod
    def _pair(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError(f"must be [start, end] (two dates), got {len(value)} values")
            return {"start": value[0], "end": value[1]}
        return value

    @model_validator(mode="after")
    def _test_after_train(self) -> Periods:
        if self.test.start <= self.train.end:
            raise ValueError(f"the test period must start after the training period ends (temporal "
                             f"generalization): test starts {self.test.start}, training ends {self.train.end}")
        return self


def _torch_device(value: str) -> str:
    if value != "auto":
        import torch

        try:
            torch.device(value)
        except RuntimeError:
            raise ValueError(f"{value!r} is not a torch device: use auto, cpu, cuda or cuda:<n>") from None
    return value


Device = Annotated[str, AfterValidator(_torch_device)]


class Training(Block):
    # paper: as the code that made the paper's figures; hydrodl: as mhpi/hydroDL since 2021 (core/procedures.py).
    procedure: Literal["paper", "hydrodl"]
    # null: the procedure's (paper: no batch cap; hydrodl: capped).
    epoch_rule: Literal["paper", "capped"] | None
    hidden_size: Positive
    dropout: Annotated[float, Field(ge=0, lt=1)]
    dropout_method: Literal["weights", "outputs"]
    epochs: Positive
    seed: int
    window: _per_target(Positive)
    batch_size: _per_target(Positive)
    iterations_per_epoch: Positive | None
    min_iterations: Positive | None
    device: Device
    optimizer: Literal["adadelta", "adam"]
    learning_rate: Annotated[float, Field(gt=0)] | None
    eval_every: Positive | None
    checkpoint_every: Positive
    precision: Literal["fp32", "bf16", "tf32"]
    grouped: bool
    max_models_per_pass: Positive | None


def _all_optional(model: type[Block], name: str, doc: str) -> type[Block]:
    """``model`` with every field optional (default None), its constraints and validators kept."""
    fields = {key: ((Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation) | None, None)
              for key, f in model.model_fields.items()}
    return create_model(name, __base__=Block, __doc__=doc, **fields)


#: The second experiment's ``training``: only the keys it sets; the rest come from ``training``.
TrainingOverride = _all_optional(Training, "TrainingOverride", "Keys of `training` that the second experiment sets.")


def merged_training(training: Training | Mapping[str, Any], overrides: BaseModel | Mapping[str, Any] | None) -> Training:
    """``training`` with the keys ``overrides`` sets; a key set to null there is null (``eval_every: null``: off).

    ``overrides`` may come as its model (Kedro builds ``params:similar_vs_dissimilar.training``
    from the typed block): only the keys the YAML set count.
    """
    base = training.model_dump() if isinstance(training, Training) else dict(training)
    changes = overrides.model_dump(exclude_unset=True) if isinstance(overrides, BaseModel) else dict(overrides or {})
    return validate_block(Training, {**base, **changes}, "similar_vs_dissimilar.training")


class Features(Block):
    dynamic: Annotated[list[str], Field(min_length=1)]
    static: list[str]
    transforms: dict[str, Literal["none", "log_sqrt"]]
    # A site without a static attribute: left out, given the training mean, or an error (sources/missing_statics.py).
    static_missing: Literal["drop", "mean", "error"]


class Evaluation(Block):
    min_obs: Positive
    table_metrics: _per_target(list[Literal["NSE", "KGE", "RMSE", "R", "Bias"]])
    convergence_tolerance: _per_target(Annotated[float, Field(gt=0)])
    # null: the procedure's (paper: cold for soil moisture, warm for streamflow; hydrodl: warm).
    test_start: Literal["cold", "warm"] | None

    def metrics_for(self, target: str) -> list[str]:
        """The metrics reported for ``target``, as the tables list them."""
        return list(for_target(self.table_metrics, target))

    def primary_metric_for(self, target: str) -> str:
        """The metric maps, curves and verdicts use: the target kind's (RMSE for a state, NSE for a flux)."""
        return primary_metric(target, self.metrics_for(target)[0])

    def tolerance_for(self, target: str) -> float:
        return float(for_target(self.convergence_tolerance, target))


class VirtualConus(Block):
    sites_per_subregion: Positive
    sites_per_focus_l3: Annotated[int, Field(ge=0)]
    focus_l3_codes: list[str]
    start: dt.date
    n_years: Positive
    seed: int


def _ordered_bounds(value: list[float | None]) -> list[float | None]:
    low, high = value
    if low is not None and high is not None and high < low:
        raise ValueError(f"[{low}, {high}]: the upper bound is below the lower one")
    return value


Bounds = Annotated[list[float | None], Field(min_length=2, max_length=2), AfterValidator(_ordered_bounds)]


class Plausibility(Block):
    max_runoff_ratio: Annotated[float, Field(gt=0)] | None
    drop_implausible: bool
    precipitation: str
    # Physical bounds by variable name, [low, high] (null: open); values outside become missing (sources/value_checks.py).
    bounds: dict[str, Bounds]
    max_share_out_of_range: Annotated[float, Field(ge=0, le=1)]
    on_implausible: Literal["missing", "error"]


class SmapGranules(Block):
    bbox: Annotated[list[float], Field(min_length=4, max_length=4)] | None = None
    pixel_stride: Positive = 1
    pixel_offset: Annotated[int, Field(ge=0)] = 0


class NldasForcing(Block):
    variables: dict[str, str] | None = None
    how: dict[str, Literal["sum", "mean"]] | None = None
    time_shift: str | None = None


class TableSource(Block):
    # Units of the table's variables for labels and tables, e.g. {prcp: mm/d}; a missing one is "unknown".
    units: dict[str, str] | None = None
    # A column of the sites table copied to the data as a site label (for partitioning.scheme: column).
    label_column: str | None = None


class Ingestion(Block):
    source: Literal["virtual_conus", "caravan", "camels_us", "smap_hydrodl", "smap", "packed", "table", "netcdf"]
    plausibility: Plausibility
    virtual_conus: VirtualConus
    # Source-specific blocks: only the sources that read them need them.
    gages2_columns: list[str] | None = None
    smap: SmapGranules | None = None
    nldas: NldasForcing | None = None
    table: TableSource | None = None


class Partitioning(Block):
    min_sites: Positive
    scheme: Literal["epa", "column"]
    column: str | None
    regions: Literal["all"] | list[str | int] | None


class GlobalVsLocal(Block):
    seed_repeats: Positive


class UngaugedRegions(Block):
    # Groups of regions held out together (null: one region at a time); regions/ungauged_design.py.
    folds: Annotated[int, Field(ge=2)] | None


class SimilarVsDissimilar(Block):
    rois: dict[Target, list[str]]
    min_sites: Positive
    size_controlled: list[bool]
    seed: int
    training: TrainingOverride = TrainingOverride()


class Parameters(Block):
    # The variable to predict, by name; soil_moisture and streamflow set their kind, any other name needs target_kind.
    target: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    # state (like soil moisture: window 30, batch 100, RMSE) or flux (like streamflow: 365, 500, NSE, log-sqrt).
    target_kind: Literal["state", "flux"] | None = None
    # Units for labels and tables; null: the data's own (the reader's or ingestion.table.units).
    target_units: str | None = None
    periods: Periods
    training: Training
    features: Features
    evaluation: Evaluation
    ingestion: Ingestion
    partitioning: Partitioning
    global_vs_local: GlobalVsLocal
    similar_vs_dissimilar: SimilarVsDissimilar
    ungauged_regions: UngaugedRegions
    # --params packed_file=… (read by the catalog's packed_canonical for ingestion.source: packed).
    packed_file: str | None = None

    @model_validator(mode="after")
    def _fits_the_target(self) -> Parameters:
        if kind_of(self.target, self.target_kind) is None:
            raise ValueError(f"target {self.target!r} is not soil_moisture or streamflow: set target_kind: state (a "
                             "level, like soil moisture) or flux (a rate, like streamflow) to choose its defaults")
        named = NAMED.get(self.target)
        if named and self.target_kind and self.target_kind != named:
            raise ValueError(f"target {self.target} is a {named}; target_kind {self.target_kind} contradicts it")
        kind = kind_of(self.target, self.target_kind)
        problems = []
        second = merged_training(self.training, self.similar_vs_dissimilar.training)
        for block, training in (("training", self.training), ("similar_vs_dissimilar.training", second)):
            for key in ("window", "batch_size"):
                if for_target(getattr(training, key), self.target, kind) is None:
                    problems.append(f"{block}.{key} has no value for target {self.target}")
            window = for_target(training.window, self.target, kind)
            if window is not None and window > self.periods.train.days:
                problems.append(f"{block}.window is {window} days for {self.target}, longer than the training "
                                f"period ({self.periods.train.days} days, {self.periods.train.start} to "
                                f"{self.periods.train.end}); shorten the window or lengthen periods.train")
        for key in ("table_metrics", "convergence_tolerance"):
            if for_target(getattr(self.evaluation, key), self.target, kind) is None:
                problems.append(f"evaluation.{key} has no value for target {self.target}")
        if for_target(self.similar_vs_dissimilar.rois, self.target, kind) is None:
            problems.append(f"similar_vs_dissimilar.rois has no list for target {self.target}")
        if self.partitioning.scheme == "column" and not self.partitioning.column:
            problems.append("partitioning.scheme is column but partitioning.column is not set (e.g. HUC02)")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def for_target(value: Any, target: str, kind: str | None = None) -> Any:
    """A per-target parameter's value for ``target``: one value, or ``{soil_moisture: 30, streamflow: 365}``
    looked up by the target's name, then its kind, then the paper's target of that kind (core/targets.py)."""
    if not isinstance(value, Mapping):
        return value
    return next((value[key] for key in lookup_keys(target, kind) if key in value), None)


def validate_parameters(parameters: Mapping[str, Any]) -> Parameters:
    """The run's parameters as :class:`Parameters`, or one error listing every bad key."""
    try:
        return Parameters.model_validate(dict(parameters))
    except ValidationError as exc:
        raise ConfigurationError(_explain(exc)) from None


def validate_block(model: type[BlockT], values: BlockT | Mapping[str, Any], name: str) -> BlockT:
    """One block (e.g. ``training``) as its model, or one error naming each bad ``<name>.<key>``.

    A block already validated (what nodes get in a run) is returned as it is.
    """
    if isinstance(values, model):
        return values
    try:
        return model.model_validate(dict(values))
    except ValidationError as exc:
        raise ConfigurationError(_explain(exc, [name])) from None


def _explain(exc: ValidationError, prefix: list[str] | None = None) -> str:
    lines: list[tuple[str, str]] = []
    for error in exc.errors(include_url=False):
        loc = [*(prefix or []), *(str(part) for part in error["loc"] if not _is_union_branch(part))]
        key = ".".join(loc)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            lines.append((key, f"- {key}: missing (add it to conf/<env>/parameters*.yml)"))
        elif error["type"] == "extra_forbidden":
            lines.append((key, f"- {key}: not a parameter; known keys here: {', '.join(_known_keys(loc[:-1]))}"))
        elif not key:
            lines.append((key, f"- {message}"))
        elif error["type"] in ("value_error", "assertion_error"):
            lines.append((key, f"- {key}: {message}"))
        else:
            lines.append((key, f"- {key} is {error['input']!r}: {message}"))
    # a union's failed branch (``window`` is not an int) beside the real error (``window.streamflow``)
    kept = [line for key, line in lines if not any(other.startswith(key + ".") for other, _ in lines)]
    return "Parameters are not valid (nothing has run):\n" + "\n".join(dict.fromkeys(kept))


def _is_union_branch(part: Any) -> bool:
    """pydantic names the branch of a union it tried (``int``, ``dict[...]``); the user wrote none."""
    return isinstance(part, str) and (part in ("int", "float", "str", "bool", "function-after")
                                      or "[" in part or part.startswith("constrained"))


def _known_keys(loc: list[str]) -> list[str]:
    """The keys of the block at ``loc`` (e.g. ``["training"]``), for the unknown-key message."""
    model: type[BaseModel] = Parameters
    for part in loc:
        field = model.model_fields.get(part)
        inner = _block_in(field.annotation) if field else None
        if inner is None:
            return []
        model = inner
    return list(model.model_fields)


def _block_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next((b for b in map(_block_in, get_args(annotation)) if b is not None), None)
