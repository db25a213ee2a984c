"""``kedro run`` as Kedro ships it, except that a user error ends in its message, not a traceback.

Kedro loads this module's ``cli`` group after its own commands, so the ``run`` defined here
replaces the built-in one (same options, same behaviour). A hydrologist who points the project at
a wrong folder should read "Caravan timeseries folder … does not exist. Put …", not forty lines
of stack frames; a bug still shows its traceback.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run

from synergy_kedro.core.errors import ConfigurationError, user_error_in
from synergy_kedro.kedro_glue import interruption, run_folder


@click.group(name="synergy_kedro")
def cli() -> None:
    """Project commands."""


def _choice_error(kwargs: dict[str, Any]) -> ConfigurationError | None:
    """An unknown ``--env`` or ``--pipeline``, named with the valid choices (Kedro's own error lists none)."""
    from kedro.framework.project import pipelines

    env = kwargs.get("env")
    envs = sorted(p.name for p in Path("conf").iterdir() if p.is_dir() and p.name != "base") if Path("conf").is_dir() else []
    if env and envs and env not in envs:
        return ConfigurationError(f"--env {env!r} is not an environment of this project (conf/{env} does not exist); "
                                  f"choose one of: {', '.join(envs)}.")
    names = kwargs.get("pipeline") or kwargs.get("pipelines") or []
    names = [names] if isinstance(names, str) else list(names)
    unknown = [n for n in names if n not in pipelines]
    if unknown:
        return ConfigurationError(f"--pipeline {', '.join(unknown)} is not a pipeline of this project; choose one of: "
                                  f"{', '.join(sorted(pipelines))}.")
    return None


def _interrupted() -> None:
    """Let the tracking hooks close the run (Kedro has no hook for KeyboardInterrupt)."""
    from synergy_kedro.settings import HOOKS

    interruption.release_stale_io_locks()  # the hooks read netCDF again
    interruption.quiet_half_built_file_managers()

    # last registered first, as pluggy calls hooks: the tracking hooks log and close the run before the
    # lock is released; one that fails must not keep the next from running (the lock above all)
    for hook in reversed(HOOKS):
        if hasattr(hook, "on_interrupt"):
            try:
                hook.on_interrupt()
            except Exception as exc:  # noqa: BLE001 - the interruption is what the user must see
                click.secho(f"{type(hook).__name__} could not clean up after the interruption: {exc}", err=True)


def _run(*args: Any, **kwargs: Any) -> Any:
    interruption.install()
    try:
        return kedro_run.callback(*args, **kwargs)
    except KeyboardInterrupt:
        terminated = interruption.terminated()
        interruption.caught()
        _interrupted()
        cause = "Terminated (SIGTERM)" if terminated else "Interrupted"
        click.secho(f"\n{cause}. Finished models are kept (and logged to MLflow, run marked KILLED); run the "
                    "same command again to train only the rest.", fg="yellow", err=True)
        raise SystemExit(143 if terminated else 130) from None
    except Exception as exc:  # re-raised unless it is a user error
        error = user_error_in(exc) or _choice_error(kwargs)
        if error is None:
            raise
        click.secho(f"\nError: {error}", fg="red", err=True)
        click.secho("This is a problem with the input data or settings, not a bug in the code: "
                    "fix what the message names and run again (finished models are kept and reused).",
                    err=True)
        raise SystemExit(1) from None
    finally:
        interruption.caught()


cli.add_command(click.Command(name="run", params=kedro_run.params, callback=_run, help=kedro_run.help,
                              short_help=kedro_run.short_help, context_settings=kedro_run.context_settings))


def procedure_runs(env: str | None, params: str | None, runner: str | None) -> list[tuple[list[str], dict[str, str]]]:
    """The three ``kedro run`` commands of :func:`compare_procedures` and their extra environment variables.

    The paper run is the environment's own (its folder, its reusable models); the hydrodl run goes
    to ``<outputs>/procedure_hydrodl`` (:mod:`synergy_kedro.kedro_glue.run_folder`) so the two never
    share a model or a report.
    """
    common = [sys.executable, "-m", "kedro", "run", *(["--env", env] if env else [])]
    extra = [params] if params else []
    run_with = [*(["--runner", runner] if runner else [])]
    return [
        ([*common, "--pipeline", "global_vs_local", "--params", ",".join([*extra, "training.procedure=paper"]),
          *run_with], {run_folder.VARIABLE: ""}),
        ([*common, "--pipeline", "global_vs_local", "--params", ",".join([*extra, "training.procedure=hydrodl"]),
          *run_with], {run_folder.VARIABLE: "procedure_hydrodl"}),
        ([*common, "--pipeline", "procedure_comparison", *(["--params", params] if params else [])],
         {run_folder.VARIABLE: ""}),
    ]


@cli.command("compare-procedures")
@click.option("--env", "-e", default=None, help="Kedro environment (e.g. smap_hydrodl, caravan).")
@click.option("--params", default=None, help="Extra parameters for both runs, as for kedro run --params.")
@click.option("--runner", "-r", default=None, help="Kedro runner of both runs, e.g. ParallelRunner.")
def compare_procedures(env: str | None, params: str | None, runner: str | None) -> None:
    """Run global_vs_local under the paper's and hydroDL's training procedures and report them side by side.

    Each step is a plain ``kedro run`` (printed before it starts), so an interrupted comparison
    resumes by running the command again: finished models are reused. The report goes to
    ``<outputs>/08_reporting/procedures/``.
    """
    for command, variables in procedure_runs(env, params, runner):
        shown = " ".join(f"{k}={v}" for k, v in variables.items() if v)
        click.secho("$ " + " ".join([shown, "kedro", *map(shlex.quote, command[3:])]).strip(), fg="cyan", err=True)
        code = subprocess.call(command, env={**os.environ, **variables})
        if code:
            raise SystemExit(code)
