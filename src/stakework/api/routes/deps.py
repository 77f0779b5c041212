"""What every route needs: the node view, and the bearer-token check for state-changing requests."""

from __future__ import annotations

import secrets

from fastapi import Request

from stakework.api.errors import ApiError
from stakework.api.view import NodeView


def get_view(request: Request) -> NodeView:
    """The app's NodeView."""
    view: NodeView = request.app.state.view
    return view


def require_token(request: Request) -> None:
    """401 unless `Authorization: Bearer <token>` carries the node's token (constant-time comparison)."""
    token: str = request.app.state.token
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), token.encode()):
        raise ApiError(401, "missing or wrong bearer token: send Authorization: Bearer <token> (DATA/api-token)")
