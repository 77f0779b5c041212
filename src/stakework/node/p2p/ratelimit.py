"""Per-peer limits on the requests a node serves (as Lighthouse's RPC rate limiter: a token bucket per peer and
protocol, refilled continuously; a request that does not fit is answered with an error, not served).

Each limited protocol has a bucket of requests, and the block requests a bucket of blocks too (a request takes
the number of blocks it asks for, as Lighthouse counts a request's "tokens" by its size). A request is served only
when every bucket it draws on holds enough; otherwise nothing is taken and the answer says when to retry.

The quotas are set so that an honest node never meets them: sync asks one peer for 128 blocks at a time and
imports them at a few hundred blocks per second (docs/performance.md), fetching unknown parents takes one request
per ancestor (up to 32), and checkpoint sync asks for a state once. Lighthouse serves 128 blocks per 10 s per peer
(it syncs from many peers at once); a devnet's late joiner syncs from one peer, hence the larger block quotas."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from stakework.node.p2p import messages


@dataclass(frozen=True)
class Quota:
    """`amount` tokens per `seconds`: a bucket of `amount` tokens refilled at amount/seconds per second."""

    amount: float
    seconds: float


BLOCKS_BY_RANGE_REQUESTS = Quota(50, 10.0)
BLOCKS_BY_RANGE_BLOCKS = Quota(40 * messages.MAX_REQUEST_BLOCKS, 10.0)
"""5,120 blocks per 10 s: 512 blocks/s sustained, above what one node imports (docs/performance.md)."""
BLOCKS_BY_ROOT_REQUESTS = Quota(128, 10.0)
BLOCKS_BY_ROOT_BLOCKS = Quota(10 * messages.MAX_REQUEST_BLOCKS, 10.0)
FINALIZED_STATE_REQUESTS = Quota(4, 60.0)
"""A finalized state is the costliest answer (a whole state snapshot): a new node asks once."""

MAX_BUCKETS = 4096
"""Buckets kept before the full ones are forgotten."""

QUOTAS: dict[str, Quota] = {
    "blocks_by_range": BLOCKS_BY_RANGE_REQUESTS,
    "blocks_by_range_blocks": BLOCKS_BY_RANGE_BLOCKS,
    "blocks_by_root": BLOCKS_BY_ROOT_REQUESTS,
    "blocks_by_root_blocks": BLOCKS_BY_ROOT_BLOCKS,
    "finalized_state": FINALIZED_STATE_REQUESTS,
}


@dataclass
class _Bucket:
    quota: Quota
    tokens: float
    when: float

    def level(self, now: float) -> float:
        rate = self.quota.amount / self.quota.seconds
        return min(self.quota.amount, self.tokens + rate * max(0.0, now - self.when))

    def wait(self, amount: float, now: float) -> float:
        """Seconds until `amount` tokens are here (0: now)."""
        missing = amount - self.level(now)
        return 0.0 if missing <= 0 else missing * self.quota.seconds / self.quota.amount


@dataclass
class RateLimiter:
    """The buckets of every peer (by node id). `allow` answers 0 and takes the tokens when a request may be
    served, or the seconds after which it could be (and takes nothing)."""

    quotas: dict[str, Quota] = field(default_factory=lambda: dict(QUOTAS))
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[tuple[bytes, str], _Bucket] = field(default_factory=dict)

    def _bucket(self, peer: bytes, kind: str, now: float) -> _Bucket:
        bucket = self._buckets.get((peer, kind))
        if bucket is None:
            quota = self.quotas[kind]
            bucket = self._buckets[(peer, kind)] = _Bucket(quota, quota.amount, now)
        return bucket

    def allow(self, peer: bytes, protocol: str, blocks: int = 0) -> float:
        """A request of `protocol` from `peer` asking for `blocks` blocks: 0.0 when it may be served (its tokens
        are taken), else the seconds until it could be (nothing is taken)."""
        now = self.clock()
        if len(self._buckets) > MAX_BUCKETS:
            self.prune()
        draws = [(self._bucket(peer, protocol, now), 1.0)]
        if f"{protocol}_blocks" in self.quotas:
            draws.append((self._bucket(peer, f"{protocol}_blocks", now), float(blocks)))
        wait = max(bucket.wait(amount, now) for bucket, amount in draws)
        if wait > 0:
            return wait
        for bucket, amount in draws:
            bucket.tokens, bucket.when = bucket.level(now) - amount, now
        return 0.0

    def prune(self) -> None:
        """Forget the buckets that are full again (a peer that reconnects finds its buckets as it left them until
        they have refilled: reconnecting does not reset a limit)."""
        now = self.clock()
        for key in [k for k, b in self._buckets.items() if b.level(now) >= b.quota.amount]:
            del self._buckets[key]
