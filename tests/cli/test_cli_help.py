"""`--help` reads like a command line: arguments in capitals (optional ones in brackets), flags without a type."""

from __future__ import annotations

import pytest

from support.module_cli import cli


@pytest.mark.parametrize(
    ("command", "usage"),
    [
        (["pool", "show"], "stakework pool show [OPTIONS] [POOL]"),
        (["wallet", "exit"], "stakework wallet exit [OPTIONS] ACCOUNT VALIDATOR"),
        (["wallet", "balance"], "stakework wallet balance [OPTIONS] [ACCOUNT]"),
        (["liquid", "balance"], "stakework liquid balance [OPTIONS] [ACCOUNT]"),
        (["pool", "position"], "stakework pool position [OPTIONS] [ACCOUNT]"),
    ],
)
def test_help__usage_line__arguments_in_capitals_not_braces(command: list[str], usage: str) -> None:
    code, out = cli(*command, "--help")
    assert code == 0, out
    assert usage in " ".join(out.split()), out
    assert "{" not in out.split("Usage:", 1)[1].splitlines()[0]


@pytest.mark.parametrize("command", [["wallet", "send"], ["status"], ["simulate"], ["pool", "list"], ["genesis"]])
def test_help__flags__no_bool_type_shown(command: list[str]) -> None:
    code, out = cli(*command, "--help")
    assert code == 0, out
    assert "<bool>" not in out and "--help" in out
