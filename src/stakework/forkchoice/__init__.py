"""Fork choice: LMD-GHOST over the Casper-FFG-filtered block tree, as a proto-array (see docs/forkchoice.md).

The node calls `ForkChoice` with plain values: block roots, slots, checkpoints, validator indices, balances."""

from stakework.forkchoice.config import MAINNET_FORK_CHOICE, ForkChoiceConfig
from stakework.forkchoice.errors import (
    ForkChoiceError,
    FutureBlockError,
    InvalidAttestationError,
    InvalidBlockError,
    UnknownBlockError,
    UnknownParentError,
)
from stakework.forkchoice.proto_array import ProtoArray, ProtoNode
from stakework.forkchoice.store import ForkChoice
from stakework.forkchoice.votes import VoteTracker

__all__ = [
    "MAINNET_FORK_CHOICE",
    "ForkChoice",
    "ForkChoiceConfig",
    "ForkChoiceError",
    "FutureBlockError",
    "InvalidAttestationError",
    "InvalidBlockError",
    "ProtoArray",
    "ProtoNode",
    "UnknownBlockError",
    "UnknownParentError",
    "VoteTracker",
]
