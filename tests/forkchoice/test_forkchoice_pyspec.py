"""The fork choice against the reference package itself (`eth_consensus_specs.electra.minimal`, 8 slots per
epoch): the same random histories as test_forkchoice_stateful.py, and after every step the package's own
`get_head` and `get_weight`, run on a spec `Store` rebuilt from the plain reference store, must give the head
and the weights that `ForkChoice` and the plain reference give.

The spec `Store` holds what those functions read: `blocks` (slot, parent root), `block_states` (only
`current_justified_checkpoint` is read, by `get_voting_source`), `checkpoint_states[justified_checkpoint]` (a
BeaconState whose validators carry the justified balances, all active and unslashed), the latest messages,
equivocating indices, unrealized justifications, proposer-boost root and the time. Balances are whole
increments with a positive total, so `get_total_active_balance`'s one-increment floor never applies.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import event, settings
from hypothesis.stateful import invariant
from test_forkchoice_stateful import ForkChoiceMachine

import reference.forkchoice_reference as ref

spec: Any = pytest.importorskip("eth_consensus_specs.electra.minimal")
pytestmark = pytest.mark.slow


def to_spec_store(store: ref.Store) -> Any:
    """A spec `Store` with the same blocks, checkpoints, messages and balances as the plain reference store."""

    def checkpoint(c: Any) -> Any:
        return spec.Checkpoint(epoch=c.epoch, root=spec.Root(c.root))

    validators = [
        spec.Validator(
            effective_balance=balance,
            activation_epoch=0,
            exit_epoch=spec.FAR_FUTURE_EPOCH,
            withdrawable_epoch=spec.FAR_FUTURE_EPOCH,
        )
        for balance in store.justified_balances
    ]
    justified = checkpoint(store.justified_checkpoint)
    state = spec.BeaconState(
        slot=store.justified_checkpoint.epoch * spec.SLOTS_PER_EPOCH,
        validators=validators,
        current_justified_checkpoint=justified,
    )
    return spec.Store(
        time=store.current_slot * spec.config.SLOT_DURATION_MS // 1000,
        genesis_time=0,
        justified_checkpoint=justified,
        finalized_checkpoint=checkpoint(store.finalized_checkpoint),
        unrealized_justified_checkpoint=checkpoint(store.unrealized_justified_checkpoint),
        unrealized_finalized_checkpoint=checkpoint(store.unrealized_finalized_checkpoint),
        proposer_boost_root=spec.Root(store.proposer_boost_root),
        equivocating_indices={spec.ValidatorIndex(i) for i in store.equivocating_indices},
        blocks={
            spec.Root(root): spec.BeaconBlock(slot=block.slot, parent_root=spec.Root(block.parent_root))
            for root, block in store.blocks.items()
        },
        block_states={
            spec.Root(root): SimpleNamespace(current_justified_checkpoint=checkpoint(block.justified))
            for root, block in store.blocks.items()
        },
        checkpoint_states={justified: state},
        latest_messages={
            spec.ValidatorIndex(i): spec.LatestMessage(epoch=m.epoch, root=spec.Root(m.root))
            for i, m in store.latest_messages.items()
        },
        unrealized_justifications={
            spec.Root(root): checkpoint(c) for root, c in store.unrealized_justifications.items()
        },
    )


class ForkChoiceVsPyspecMachine(ForkChoiceMachine):
    """The stateful machine on the package's minimal preset, with one more invariant."""

    slots_per_epoch = int(spec.SLOTS_PER_EPOCH)
    tick_scale = 3
    gwei_only = True

    @invariant()
    def same_as_the_package(self) -> None:
        if not hasattr(self, "fc"):
            return
        store = self.ref
        if sum(store.justified_balances) < spec.EFFECTIVE_BALANCE_INCREMENT:
            return  # the spec's total active balance would be floored at one increment
        if store.justified_checkpoint.root not in self.fc:
            return  # an inconsistent history was pruned (see ForkChoiceMachine.consistent)
        spec_store = to_spec_store(store)
        event(f"compared with the package, finalized epoch {'>' if store.finalized_checkpoint.epoch else '='} 0")
        head = bytes(spec.get_head(spec_store).root)
        assert head == ref.get_head(store) == self.fc.get_head()
        for root in self.fc.roots():
            weight = int(spec.get_weight(spec_store, spec.ForkChoiceNode(root=spec.Root(root))))
            assert weight == self.fc.weight(root), root.hex()


ForkChoiceVsPyspecMachine.TestCase.settings = settings(
    settings(), max_examples=max(30, settings().max_examples // 5), stateful_step_count=30, deadline=None
)
TestForkChoiceAgainstPyspec = ForkChoiceVsPyspecMachine.TestCase
