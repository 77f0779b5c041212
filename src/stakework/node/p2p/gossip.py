"""Gossip bookkeeping: the ids of messages seen (de-duplication), and what validation decided.

Spec (p2p-interface.md, gossipsub): a message is relayed only after it validated (ACCEPT); IGNORE drops it
without penalty (a duplicate, a block from the future, an unknown parent); REJECT drops it and penalises the
peer that sent it. stakework floods to every connected peer instead of a gossipsub mesh (see docs/network.md)."""

from __future__ import annotations

import enum
from collections import OrderedDict


class Verdict(enum.Enum):
    ACCEPT = "accept"
    IGNORE = "ignore"
    REJECT = "reject"


SEEN_CAPACITY = 65_536
"""Message ids remembered (the oldest are forgotten first): well over an epoch of every topic at devnet rates."""


class SeenCache:
    """The ids of messages seen, bounded (oldest forgotten first)."""

    def __init__(self, capacity: int = SEEN_CAPACITY) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[bytes, None] = OrderedDict()

    def add(self, message_id: bytes) -> bool:
        """Record `message_id`; False when it was seen already."""
        if message_id in self._ids:
            return False
        self._ids[message_id] = None
        if len(self._ids) > self.capacity:
            self._ids.popitem(last=False)
        return True

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)
