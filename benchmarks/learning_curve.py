"""Learning curve of one model of a finished run: median test skill against updates, for a time budget.

Reads what ``kedro run --env <env> --pipeline global_vs_local`` persisted under ``data/<env>/``
(model inputs, canonical dataset, normalisation statistics, the model's site set), retrains that
model from scratch with the run's training settings (overridable here) and scores its test sites
every ``--eval-every`` epochs, exactly as ``training.eval_every`` does in a run
(:func:`synergy_kedro.pipelines.modelling.nodes.skill_evaluator`). Stops after ``--minutes`` at the
end of an epoch. Each scored point is appended to ``--out`` as it comes, so a killed run keeps its
curve. Nothing is written into the run's own outputs.

The state is checkpointed beside ``--out`` (``<out>.checkpoint.pt``) at every scored epoch, so the
same command again continues the curve where it stopped (appending to ``--out``; the weights are
those of an uninterrupted run on CPU): a curve longer than one session is made in parts.
``--fresh`` starts over.

    python benchmarks/learning_curve.py --env caravan --model global --optimizer adadelta --minutes 40
    python benchmarks/learning_curve.py --env caravan --model global --optimizer adam --minutes 40

Prints one line per scored epoch: epoch, updates, median test metrics, wall minutes.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import replace
from pathlib import Path

import torch
import xarray as xr

from synergy_kedro.core import procedures
from synergy_kedro.core.parameters import Parameters, validate_parameters
from synergy_kedro.model.arrays import input_array, target_array
from synergy_kedro.model.checkpoints import CheckpointStore, fingerprint
from synergy_kedro.model.sampling import epoch_plan
from synergy_kedro.model.training import train_lstm
from synergy_kedro.pipelines.modelling.nodes import SITE_KEY, skill_evaluator, training_config

REPO = Path(__file__).resolve().parents[1]


class BudgetSpent(Exception):
    """The time budget ran out at the end of an epoch."""


def _parameters(env: str) -> tuple[Parameters, dict]:
    """The environment's parameters validated as a run validates them (nodes read these blocks), and as read."""
    from kedro.config import OmegaConfigLoader

    from synergy_kedro.settings import CONFIG_LOADER_ARGS

    loader = OmegaConfigLoader(str(REPO / "conf"), env=env, **{k: v for k, v in CONFIG_LOADER_ARGS.items()
                                                                if k in ("base_env", "merge_strategy")})
    raw = loader["parameters"]
    return validate_parameters(raw), raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default="caravan")
    parser.add_argument("--model", default="global", help="namespace of the model (its train_sites.json)")
    parser.add_argument("--optimizer", choices=["adadelta", "adam"], default="adadelta")
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--hidden", type=int, default=None, help="default: the run's training.hidden_size")
    parser.add_argument("--eval-every", type=int, default=2)
    parser.add_argument("--minutes", type=float, default=40)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--fresh", action="store_true", help="start over instead of continuing --out")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    params, raw = _parameters(args.env)
    outputs = REPO / f"data/{args.env}"
    target, periods, features = params.target, raw["periods"], params.features
    config = training_config(params.training, target)
    config = replace(config, optimizer=args.optimizer, learning_rate=args.learning_rate, epochs=100_000,
                     eval_every=args.eval_every, checkpoint_every=args.eval_every,
                     hidden_size=args.hidden or config.hidden_size)
    sites_of = json.loads((outputs / f"05_model_input/{args.model}/train_sites.json").read_text())
    model_inputs = xr.load_dataset(outputs / "04_feature/model_inputs.nc")
    canonical = xr.load_dataset(outputs / "02_intermediate/canonical.nc")
    stats = json.loads((outputs / "04_feature/normalisation_stats.json").read_text())
    x = input_array(model_inputs, sites_of["sites"], features.dynamic, features.static, periods["train"])
    y = target_array(model_inputs, sites_of["sites"], target, periods["train"])
    test_start = procedures.for_run(params.training, params.evaluation, target).test_start
    evaluate = skill_evaluator(model_inputs, canonical, sites_of.get("test_sites", sites_of["sites"]), features,
                               target, periods, stats, params.evaluation, config, test_start)
    out = args.out or REPO / f"data/{args.env}/learning_curves/{args.model}_{args.optimizer}.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    plan = epoch_plan(x.shape[0], x.shape[1], min(config.window, x.shape[1]), config.batch_size, 1,
                      config.iterations_per_epoch, None, rule=config.epoch_rule)
    print(f"{args.model} of {args.env}: {x.shape[0]} sites, batch {plan.batch_size}, {plan.iterations} updates/epoch, "
          f"{config.optimizer} lr {args.learning_rate or 'default'}, hidden {config.hidden_size}, "
          f"{torch.get_num_threads()} threads, budget {args.minutes} min → {out}", flush=True)
    checkpoints = CheckpointStore(out.with_name(out.name + ".checkpoint.pt"))
    if args.fresh:
        checkpoints.clear()
    done, minutes_before, columns = _curve_so_far(out, checkpoints.load(fingerprint(config, x, y)))
    started = time.perf_counter()
    epoch = {"now": done + 1}  # the epoch in training: the evaluator scores it, then on_epoch_end moves on
    writer_file = out.open("a" if done else "w", newline="")
    writer = csv.DictWriter(writer_file, fieldnames=columns) if done else None

    def record(state: dict) -> dict:
        nonlocal writer
        scores = evaluate(state)
        medians = {k: v for k, v in scores.items() if not k.startswith(SITE_KEY)}  # per-site values: not in this CSV
        row = {"epoch": epoch["now"], "updates": epoch["now"] * plan.iterations, **medians,
               "minutes": round(minutes_before + (time.perf_counter() - started) / 60, 2), "optimizer": args.optimizer,
               "learning_rate": args.learning_rate, "hidden_size": config.hidden_size}
        if writer is None:
            writer = csv.DictWriter(writer_file, fieldnames=list(row))
            writer.writeheader()
        writer.writerow(row)
        writer_file.flush()
        print(", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in row.items()), flush=True)
        return scores

    def stop_when_spent(done: int) -> None:
        epoch["now"] = done + 1
        if (time.perf_counter() - started) / 60 >= args.minutes and done % args.eval_every == 0:
            raise BudgetSpent

    try:
        train_lstm(x, y, config, label=args.model, checkpoints=checkpoints, evaluate=record,
                   on_epoch_end=stop_when_spent)
    except BudgetSpent:
        pass
    writer_file.close()


def _curve_so_far(out: Path, saved: dict | None) -> tuple[int, float, list[str]]:
    """The last epoch both the checkpoint and ``out`` hold, the minutes spent on it and ``out``'s columns.

    ``saved`` is the checkpoint as the store loads it: None when there is none or it was made with
    other data or settings, and then the curve starts over. Rows scored after the checkpoint's epoch
    (a kill between scoring and saving) are dropped, so the continued curve has each epoch once.
    """
    if saved is None or not out.exists():
        return 0, 0.0, []
    with out.open() as f:
        reader = csv.DictReader(f)
        rows = [row for row in reader if int(row["epoch"]) <= int(saved["epoch"])]
        columns = list(reader.fieldnames or [])
    if not rows:
        return 0, 0.0, []
    with out.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    print(f"continuing {out} after epoch {saved['epoch']} ({len(rows)} scored points kept)", flush=True)
    return int(saved["epoch"]), float(rows[-1]["minutes"]), columns


if __name__ == "__main__":
    main()
