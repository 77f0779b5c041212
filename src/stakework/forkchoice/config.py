"""Fork-choice configuration: the consensus-specs *configuration* values (not preset values) that only the fork
choice reads. Names and defaults are the spec's (`configs/mainnet.yaml`, Electra)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class ForkChoiceConfig:
    """Frozen fork-choice parameters, validated on construction."""

    PROPOSER_SCORE_BOOST: int = 40
    """Percent of one slot's committee weight (total active balance / SLOTS_PER_EPOCH) added to a timely block
    received in its own slot (spec `compute_proposer_score`)."""
    REORG_HEAD_WEIGHT_THRESHOLD: int = 20
    """Percent of committee weight below which a head is weak (spec `is_head_weak`). Kept for the node's
    proposer-reorg logic; `ForkChoice.committee_fraction` computes the threshold."""
    REORG_PARENT_WEIGHT_THRESHOLD: int = 160
    """Percent of committee weight above which a parent is strong (spec `is_parent_strong`)."""
    REORG_MAX_EPOCHS_SINCE_FINALIZATION: int = 2
    """Late-block reorgs are attempted only while finality is at most this many epochs old."""

    def __post_init__(self) -> None:
        for name in (
            "PROPOSER_SCORE_BOOST",
            "REORG_HEAD_WEIGHT_THRESHOLD",
            "REORG_PARENT_WEIGHT_THRESHOLD",
            "REORG_MAX_EPOCHS_SINCE_FINALIZATION",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"ForkChoiceConfig.{name} must be a non-negative integer, got {value!r}")


MAINNET_FORK_CHOICE = ForkChoiceConfig()
"""The spec's mainnet (and minimal) values."""
