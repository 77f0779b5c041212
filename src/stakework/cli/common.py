"""What every command shares: the console, turning user errors into exit status 2, preset parsing."""

from __future__ import annotations

import importlib
import sys
from typing import NoReturn

import typer

# typer >= 0.20 vendors its own copy of click, whose exceptions are not click's; older typer uses click itself.
try:
    click_exceptions = importlib.import_module("typer._click.exceptions")
except ImportError:  # pragma: no cover
    click_exceptions = importlib.import_module("click.exceptions")
from rich.console import Console

from stakework.spec.errors import StakeworkError
from stakework.spec.presets import Preset, load_preset

console = Console()
err_console = Console(stderr=True)


def wide_console() -> Console:
    """The console, at least 160 columns wide when output goes to a file or pipe (tables and log lines stay on
    one line)."""
    if not console.is_terminal and console.width < 160:
        console.width = 160
    return console


EXIT_USAGE = 2


def fail(message: str) -> NoReturn:
    """Print `message` as an error and exit with status 2 (a mistake in the user's input)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_USAGE)


def parse_preset(value: str) -> Preset:
    """`--preset` accepts a built-in name or a TOML/YAML file overriding a base preset."""
    try:
        return load_preset(value)
    except StakeworkError as exc:
        fail(str(exc))


def run_app(app: typer.Typer) -> int:
    """Run the typer app; a StakeworkError anywhere becomes a one-line message and exit status 2."""
    try:
        result = app(standalone_mode=False)
    except StakeworkError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return EXIT_USAGE
    except (typer.Exit, getattr(click_exceptions, "Exit", typer.Exit)) as exc:
        return int(exc.exit_code)
    except (typer.Abort, getattr(click_exceptions, "Abort", typer.Abort)):
        err_console.print("aborted")
        return 130
    except click_exceptions.ClickException as exc:
        exc.show(file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    return result if isinstance(result, int) else 0
