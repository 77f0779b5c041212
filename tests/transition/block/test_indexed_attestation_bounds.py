"""is_valid_indexed_attestation on indices a peer can send (uint64 on the wire): an index past the registry,
also past int64, makes the attestation invalid (False) and an attester slashing carrying it an InvalidOperation,
never an OverflowError out of the block's processing."""

from __future__ import annotations

import pytest
from tests.transition.block.test_block_ops import make_state

from stakework.spec.presets import MINIMAL
from stakework.state.containers import Checkpoint
from stakework.transition.block.attestation import is_valid_indexed_attestation
from stakework.transition.block.attester_slashing import process_attester_slashing
from stakework.transition.block.block import AttestationData, AttesterSlashing, IndexedAttestation
from stakework.transition.errors import InvalidOperation

INFINITY_SIGNATURE = b"\xc0" + bytes(95)


def _data(root: bytes) -> AttestationData:
    return AttestationData(
        slot=0, index=0, beacon_block_root=root, source=Checkpoint(0, bytes(32)), target=Checkpoint(0, bytes(32))
    )


@pytest.mark.parametrize("indices", [[0, 2**64 - 1], [2**63], [2**63 - 1], [0, 8], [3, 2**64 - 1, 5]])
def test_is_valid_indexed_attestation__index_past_the_registry_or_int64__false_not_raised(indices):
    state = make_state(MINIMAL, 8)
    assert not is_valid_indexed_attestation(state, IndexedAttestation(indices, _data(bytes(32)), INFINITY_SIGNATURE))


def test_attester_slashing__index_past_int64__invalid_operation():
    state = make_state(MINIMAL, 8)
    a1 = IndexedAttestation([2**64 - 1], _data(b"\x01" * 32), INFINITY_SIGNATURE)
    a2 = IndexedAttestation([2**64 - 1], _data(b"\x02" * 32), INFINITY_SIGNATURE)  # a double vote
    with pytest.raises(InvalidOperation, match="not a valid indexed attestation"):
        process_attester_slashing(state, AttesterSlashing(a1, a2))
