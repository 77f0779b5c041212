"""Errors the API turns into beacon-API error bodies `{"code": ..., "message": ...}`."""

from __future__ import annotations

from stakework.spec.errors import StakeworkError


class ApiError(StakeworkError):
    """A request the API answers with an error status and a message (never a traceback)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        failures: list[dict[str, object]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.failures = failures
        self.headers = headers
        """Response headers (e.g. Retry-After with a 503)."""


def bad_request(message: str) -> ApiError:
    """400: the request is malformed (an id that does not parse, a body of the wrong shape)."""
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    """404: the request is well formed but names something this node does not have."""
    return ApiError(404, message)
