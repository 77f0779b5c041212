"""Request/response bookkeeping: request ids and the futures their responses complete."""

from __future__ import annotations

import asyncio
import itertools

from stakework.spec.errors import StakeworkError

REQUEST_SECONDS = 10.0
"""How long a request waits for its response (Spec: RESP_TIMEOUT is 10 s)."""


class RequestError(StakeworkError):
    """A request that got no usable answer (timeout, refusal, the peer went away)."""


class RateLimited(RequestError):
    """The peer refused the request: over its rate limit for us. `retry_after` seconds from now it would serve it."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Requests:
    """Requests in flight on one connection."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[object]] = {}
        self._closed: str | None = None

    def new(self) -> tuple[int, asyncio.Future[object]]:
        request_id = next(self._ids)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        if self._closed is not None:  # no answer can come: fail now rather than after the timeout
            future.set_exception(RequestError(self._closed))
        else:
            self._waiting[request_id] = future
        return request_id, future

    def resolve(self, request_id: int, response: object) -> bool:
        """Complete the request `request_id`; False when no such request is waiting (an unsolicited response)."""
        future = self._waiting.pop(request_id, None)
        if future is None or future.done():
            return False
        future.set_result(response)
        return True

    def forget(self, request_id: int) -> None:
        self._waiting.pop(request_id, None)

    def fail_all(self, why: str) -> None:
        """Fail the requests in flight, and every request made from now on (the connection is gone)."""
        self._closed = why
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RequestError(why))
        self._waiting.clear()

    async def wait(self, request_id: int, future: asyncio.Future[object], timeout: float = REQUEST_SECONDS) -> object:
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise RequestError(f"no response within {timeout:g} s") from None
        finally:
            self.forget(request_id)
