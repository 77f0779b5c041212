"""Gossip validation of aggregates (`NodeRunner.on_gossip` on beacon_aggregate_and_proof) checks the aggregate
signature as block import does (`is_valid_attestation_signature`, from the committees' kept key sums): a valid
aggregate is accepted, one with another signature or with a member's bit set that did not sign is rejected, also
after the same committees were summed for a valid one."""

from __future__ import annotations

import msgspec
import numpy as np
from tests.node.p2p.test_node_gossip import PEER, runner  # noqa: F401 (the fixture)
from tests.support.chain import attestations_for_slot

from stakework.node.node import NodeRunner
from stakework.node.p2p import messages
from stakework.node.p2p.gossip import Verdict
from stakework.transition.block.block import pack_bits, unpack_bits
from stakework.transition.committees import get_beacon_committee


def test_aggregate__valid_then_forged_signature_or_unsigned_member__accepted_then_rejected(runner: NodeRunner) -> None:  # noqa: F811
    state = runner.chain.genesis
    online = np.ones(len(state.validators), dtype=np.bool_)
    online[int(get_beacon_committee(state, state.slot, 0)[0])] = False  # the committee's first member does not sign
    vote = attestations_for_slot(state, b"\x01" * 32, online=online)[0]
    other = attestations_for_slot(state, b"\x02" * 32, online=online)[0]
    forged = msgspec.structs.replace(vote, signature=other.signature)
    bits = unpack_bits(vote.aggregation_bits, vote.aggregation_bits_length)
    unsigned = np.ones_like(bits)  # every member's bit, the one that did not sign too
    assert not bits.all()
    widened = msgspec.structs.replace(vote, aggregation_bits=pack_bits(unsigned))
    assert runner.on_gossip(messages.TOPIC_AGGREGATE, vote, PEER) is Verdict.ACCEPT  # type: ignore[arg-type]
    assert runner.on_gossip(messages.TOPIC_AGGREGATE, forged, PEER) is Verdict.REJECT  # type: ignore[arg-type]
    assert runner.on_gossip(messages.TOPIC_AGGREGATE, widened, PEER) is Verdict.REJECT  # type: ignore[arg-type]
