"""The modules' sub-commands: each registered module's `cli_app` (an import string in its definition,
`stakework.modules.registry`), mounted as `stakework <module name>` (its tag prefix when it has one:
`stakework gov`) by `cli.main` in one loop."""

from __future__ import annotations

import importlib

import typer

from stakework.modules import registry


def module_apps() -> list[tuple[str, typer.Typer]]:
    """(name, Typer app) of every registered module that has commands, in registry order. A definition naming an
    app that cannot be imported is a bug of that module: the ImportError says which import string failed."""
    apps: list[tuple[str, typer.Typer]] = []
    for module in registry.modules():
        if module.cli_app is None:
            continue
        module_name, _, attribute = module.cli_app.partition(":")
        try:
            app = getattr(importlib.import_module(module_name), attribute)
        except (ImportError, AttributeError) as exc:
            raise ImportError(f"module {module.name}: cli_app {module.cli_app!r} cannot be imported ({exc})") from exc
        if not isinstance(app, typer.Typer):
            raise ImportError(f"module {module.name}: cli_app {module.cli_app!r} is not a typer.Typer")
        apps.append((module.prefix, app))  # governance's commands are `stakework gov`, as its tags
    return apps
