"""What every command shares: the console, turning user errors into exit status 2, preset parsing."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

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


def _plain_help_metavars() -> None:
    """Help in the usual command-line form: `Usage: stakework pool show [OPTIONS] POOL` (arguments in capitals,
    optional ones in brackets) rather than typer's `{pool}`, and on/off flags (`--json`, `--wait/--no-wait`,
    `--help`) without a `<bool>` value type, since they take no value. Typer declares these in its parameter
    classes (typer.core), not per option, so they are adjusted there, once, for every stakework command; a typer
    without these hooks keeps its own form."""
    from typer import core

    argument, option = getattr(core, "TyperArgument", None), getattr(core, "TyperOption", None)
    if argument is None or option is None or getattr(option, "_stakework_plain", False):
        return
    if not all(hasattr(argument, a) for a in ("display_name_raw", "_usage_display_name")) or not hasattr(
        option, "display_type_rich"
    ):
        return
    typer_display_type = option.display_type_rich

    def display_name_raw(self: Any) -> str:
        return str(self.metavar) if self.metavar is not None else str(self.name).upper()

    def usage_display_name(self: Any) -> str:
        name = display_name_raw(self)
        return (name if self.required else f"[{name}]") + ("..." if self.nargs != 1 else "")

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and self.metavar is None:
            return None
        value: str | None = typer_display_type(self, ctx)
        return value

    argument.display_name_raw = property(display_name_raw)
    argument._usage_display_name = usage_display_name
    option.display_type_rich = display_type_rich
    option._stakework_plain = True


_plain_help_metavars()


def wide_console() -> Console:
    """The console, at least 160 columns wide when output goes to a file or pipe (tables and log lines stay on
    one line)."""
    if not console.is_terminal and console.width < 160:
        console.width = 160
    return console


EXIT_USAGE = 2

MAX_VALIDATORS = 4_000_000
"""The most validators a command builds a state of (`--validators`): devnet keys take ~0.4 ms each (a million in
~7 minutes) and a million validators' state ~1 GiB; past this a typo (an extra digit or ten) would run for hours
or fail deep inside numpy rather than be refused."""


def fail(message: str) -> NoReturn:
    """Print `message` as an error and exit with status 2 (a mistake in the user's input)."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(EXIT_USAGE)


def _url(value: str, source: str, remedy: str) -> str:
    text = value.strip()
    if not text.startswith(("http://", "https://")) or len(text.split("://", 1)[1].strip("/")) == 0:
        fail(f"{source} {value!r} is not the node's URL: {remedy}")
    return text


def node_url(node: str | None, data_dir: Path | None = None) -> str:
    """The node API's URL, for every command that talks to a node: `--node`, else `$STAKEWORK_API`, else the URL
    the node wrote to its data directory's `api-address` when its HTTP server started (with `--data-dir`), else
    http://127.0.0.1:5052. A file left by a node that stopped still names it: the request then fails with
    "cannot reach the node at URL"."""
    from stakework.api.client import ADDRESS_FILE, DEFAULT_URL

    example = f"give one such as {DEFAULT_URL}"
    if node:
        return _url(node, "--node", example)
    env = os.environ.get("STAKEWORK_API")
    if env:
        return _url(env, "$STAKEWORK_API", example)
    if data_dir is not None:
        path = data_dir / ADDRESS_FILE
        try:
            text = path.read_text()
        except FileNotFoundError:
            if not data_dir.is_dir():
                fail(f"--data-dir {data_dir}: no such directory (give the devnet's data directory)")
            return DEFAULT_URL  # a node that has not started its API, or one older than the file
        except OSError as exc:
            fail(f"{path}: cannot read the node's address ({exc.strerror or exc}); give it with --node URL")
        return _url(text, str(path), "delete the file (the node writes it again when it starts) or give --node URL")
    return DEFAULT_URL


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
