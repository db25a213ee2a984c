"""``kedro run`` as Kedro ships it, except that a user error ends in its message, not a traceback.

Kedro loads this module's ``cli`` group after its own commands, so the ``run`` defined here
replaces the built-in one (same options, same behaviour). A hydrologist who points the project at
a wrong folder should read "Caravan timeseries folder … does not exist. Put …", not forty lines
of stack frames; a bug still shows its traceback.
"""

from __future__ import annotations

from typing import Any

import click
from kedro.framework.cli.project import run as kedro_run

from synergy_kedro.errors import user_error_in


@click.group(name="synergy_kedro")
def cli() -> None:
    """Project commands."""


def _run(*args: Any, **kwargs: Any) -> Any:
    try:
        return kedro_run.callback(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - re-raised unless it is a user error
        error = user_error_in(exc)
        if error is None:
            raise
        click.secho(f"\nError: {error}", fg="red", err=True)
        click.secho("This is a problem with the input data or settings, not a bug in the code: "
                    "fix what the message names and run again (finished models are kept and reused).",
                    err=True)
        raise SystemExit(1) from None


cli.add_command(click.Command(name="run", params=kedro_run.params, callback=_run, help=kedro_run.help,
                              short_help=kedro_run.short_help, context_settings=kedro_run.context_settings))
