"""The `stakework` command. Each sub-command lives in its own module and is registered here."""

from __future__ import annotations

import sys

import typer

from stakework import __version__
from stakework.cli import (
    bench,
    devnet,
    genesis,
    keys,
    node,
    proof,
    risk,
    simulate,
    slashing_protection,
    spec_test,
    status,
    wallet,
)
from stakework.cli.common import run_app
from stakework.cli.modules import module_apps
from stakework.cli.web import web as web_command

app = typer.Typer(
    name="stakework",
    help="Proof-of-stake staking, inspectable: an Electra-exact chain, staking products and a risk analyzer.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"stakework {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    """stakework: proof-of-stake staking, inspectable."""


# Sub-commands (one module each under stakework/cli/).
app.command("devnet")(devnet.devnet)
app.command("status")(status.status)
app.command("node")(node.node)
app.command("simulate")(simulate.simulate)
app.command("genesis")(genesis.genesis)
app.command("spec-test")(spec_test.spec_test)
app.add_typer(bench.app, name="bench")
app.add_typer(risk.app, name="risk")
app.add_typer(keys.app, name="keys")
app.add_typer(slashing_protection.app, name="slashing-protection")
app.add_typer(wallet.app, name="wallet")
app.add_typer(proof.app, name="proof")
for _name, _module_app in module_apps():  # `stakework pool`, `stakework liquid`...: each module's `cli_app`
    app.add_typer(_module_app, name=_name)
app.command("web")(web_command)


def main() -> None:
    """Console entry point."""
    sys.exit(run_app(app))


if __name__ == "__main__":  # pragma: no cover
    main()
