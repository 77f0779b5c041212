"""The node's own metrics, kept by the node for whoever serves them (the API's /metrics): the block import time
histogram wraps `Chain.import_block`, so every import is timed — the slot loop's, gossip's and sync's alike."""

from __future__ import annotations

import bisect
import time
from dataclasses import dataclass, field
from typing import Any

from stakework.node.chain import Chain

BLOCK_IMPORT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Upper bounds (seconds) of the block import time histogram."""


@dataclass
class Histogram:
    """A Prometheus histogram: cumulative counts per upper bound, sum and count."""

    bounds: tuple[float, ...]
    counts: list[int] = field(default_factory=list)
    total: float = 0.0
    count: int = 0

    def __post_init__(self) -> None:
        self.counts = [0] * len(self.bounds)

    def observe(self, value: float) -> None:
        """Record one observation."""
        for i in range(bisect.bisect_left(self.bounds, value), len(self.bounds)):
            self.counts[i] += 1
        self.total += value
        self.count += 1


def time_imports(chain: Chain, histogram: Histogram) -> None:
    """Time every block import of `chain` into `histogram` without changing what the chain does."""
    original = chain.import_block

    def timed(*args: Any, **kwargs: Any) -> bytes:
        start = time.perf_counter()
        root = original(*args, **kwargs)
        histogram.observe(time.perf_counter() - start)
        return root

    object.__setattr__(chain, "import_block", timed)
