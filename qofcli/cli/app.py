"""The Typer application, shared consoles and the user-error boundary."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Annotated, ParamSpec, TypeVar

import typer
from rich.console import Console

from qofcli import __version__
from qofcli.errors import QofError

P = ParamSpec("P")
R = TypeVar("R")

app = typer.Typer(
    name="qof",
    help="Open calculator for England's GP Quality and Outcomes Framework (QOF).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # locals could hold patient data
    rich_markup_mode=None,  # plain help: no <type> placeholders, examples kept as written
)


def _width() -> int | None:
    """The terminal's width; a stable 120 when output is redirected (COLUMNS overrides)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit():
        return int(columns)
    return None if sys.stdout.isatty() else REDIRECTED_WIDTH


REDIRECTED_WIDTH = 120
stdout = Console(width=_width())
stderr = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qof {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Score QOF registers and indicators from a practice extract with a versioned ruleset."""


def user_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Print a QofError as one line on stderr and exit with its code, without a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        stdout.width = _width()  # type: ignore[assignment]  # None: follow the terminal
        try:
            return command(*args, **kwargs)
        except QofError as exc:
            for line in exc.lines():
                stderr.print(line, style="red", highlight=False, soft_wrap=True, markup=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            stderr.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper


def progress(message: str) -> AbstractContextManager[object]:
    """A spinner on stderr while long work runs, only when a person is watching."""
    if stderr.is_terminal:
        return stderr.status(message)
    import contextlib

    return contextlib.nullcontext()
