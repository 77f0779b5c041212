"""The modules' API routers: each registered module's `api_router` (an import string in its definition,
`stakework.modules.registry`), resolved here and mounted by `api.app.create_app` in one loop."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

from stakework.modules import registry


class ModuleEdgeError(ImportError):
    """A module definition names an API router (or CLI app) that cannot be imported."""


def resolve(target: str, what: type) -> object:
    """The object an import string `package.module:attribute` names; ModuleEdgeError if it is missing or not a
    `what`."""
    module_name, _, attribute = target.partition(":")
    try:
        obj = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ModuleEdgeError(f"{target}: cannot be imported ({exc})") from exc
    if not isinstance(obj, what):
        raise ModuleEdgeError(f"{target}: is a {type(obj).__name__}, not a {what.__name__}")
    return obj


def module_routers() -> list[APIRouter]:
    """Every registered module's API router, in registry order (modules without one are skipped)."""
    routers: list[APIRouter] = []
    for module in registry.modules():
        if module.api_router is not None:
            router = resolve(module.api_router, APIRouter)
            assert isinstance(router, APIRouter)  # resolve checked it; narrows the type
            routers.append(router)
    return routers
