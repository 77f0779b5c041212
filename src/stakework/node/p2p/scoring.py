"""Peer scoring: what a peer did wrong lowers its score; below `BAN_THRESHOLD` it is disconnected and banned
for `BAN_SECONDS` (by node id and by its announced listen address). Scores recover slowly (DECAY per second)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

BAN_THRESHOLD = -100.0
BAN_SECONDS = 60.0
DECAY_PER_SECOND = 1.0
"""Points a negative score recovers per second (a peer that erred once is forgiven, a stream of errors is not)."""

PENALTIES = {
    "invalid_message": -30.0,  # a gossip message that failed validation (bad signature, invalid block)
    "undecodable": -50.0,  # bytes that are not a message
    "bad_frame": -100.0,  # an oversized frame or bad snappy data: the stream cannot be trusted
    "wrong_chain": -100.0,  # a Status for another chain (genesis root or fork version)
    "bad_response": -50.0,  # a response with blocks that do not decode or were not asked for
    "slow": -10.0,  # a queue to the peer overflowed
    "rate_limited": -10.0,  # a request over the peer's rate limit (refused): ten in a row within seconds ban it
}


@dataclass
class Scores:
    """Scores by node id and the bans in force."""

    clock: Callable[[], float] = time.monotonic
    scores: dict[bytes, tuple[float, float]] = field(default_factory=dict)
    """node id → (score, when last updated)."""
    banned: dict[object, float] = field(default_factory=dict)
    """node id or (host, port) → ban end."""

    def score(self, node_id: bytes) -> float:
        value, when = self.scores.get(node_id, (0.0, self.clock()))
        return min(0.0, value + DECAY_PER_SECOND * (self.clock() - when))

    def penalize(self, node_id: bytes, what: str) -> bool:
        """Apply the penalty `what`; True when the peer is now below the threshold (to be banned)."""
        value = self.score(node_id) + PENALTIES[what]
        self.scores[node_id] = (value, self.clock())
        return value <= BAN_THRESHOLD

    def ban(self, *keys: object) -> None:
        until = self.clock() + BAN_SECONDS
        for key in keys:
            self.banned[key] = until

    def is_banned(self, key: object) -> bool:
        until = self.banned.get(key)
        if until is None:
            return False
        if until <= self.clock():
            del self.banned[key]
            return False
        return True
