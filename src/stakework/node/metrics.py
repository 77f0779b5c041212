"""The node's own metrics, kept by the node for whoever serves them (the API's /metrics): the block import time
histogram wraps `Chain.import_block` and `Chain.import_blocks`, so every import is timed — the slot loop's,
gossip's and sync's alike."""

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


@dataclass
class _RangeTally:
    """Within one `import_blocks`: blocks added to the chain, those imported (and timed) one by one, their time."""

    added: int = 0
    timed: int = 0
    seconds: float = 0.0


def time_imports(chain: Chain, histogram: Histogram) -> None:
    """Time every block import of `chain` into `histogram` without changing what the chain does: each
    `import_block` (the slot loop's, gossip's), and each block of a range `import_blocks` imports (sync) at its
    share of the range's time (the range is verified as one signature batch, so a block has no time of its own).
    A range's blocks that it imports one by one (after a failed batch) are timed as single imports."""
    single = chain.import_block
    ranged = chain.import_blocks
    add = chain._add
    inner = _RangeTally()

    def timed(*args: Any, **kwargs: Any) -> bytes:
        start = time.perf_counter()
        root = single(*args, **kwargs)
        seconds = time.perf_counter() - start
        histogram.observe(seconds)
        inner.timed += 1
        inner.seconds += seconds
        return root

    def counted(*args: Any, **kwargs: Any) -> None:
        add(*args, **kwargs)
        inner.added += 1

    def timed_range(*args: Any, **kwargs: Any) -> list[bytes]:
        inner.added, inner.timed, inner.seconds = 0, 0, 0.0
        start = time.perf_counter()
        try:
            return ranged(*args, **kwargs)
        finally:  # a range refused part way still imported the blocks before the refused one
            batched = inner.added - inner.timed
            if batched > 0:
                share = max(0.0, time.perf_counter() - start - inner.seconds) / batched
                for _ in range(batched):
                    histogram.observe(share)

    object.__setattr__(chain, "import_block", timed)
    object.__setattr__(chain, "import_blocks", timed_range)
    object.__setattr__(chain, "_add", counted)
