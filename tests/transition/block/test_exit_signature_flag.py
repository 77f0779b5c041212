"""process_voluntary_exit's `verify_signature` (what state_transition's `verify_signatures=False` passes): off, the
signature is not checked and the exit is applied exactly as a validly signed one; every other check still holds;
on (the default), a bad signature is refused."""

from __future__ import annotations

import pytest
from tests.transition.block.test_block_ops import assert_unchanged, key, make_state

from stakework.spec.presets import MINIMAL
from stakework.transition.block.operations import SignedVoluntaryExit, VoluntaryExit
from stakework.transition.block.voluntary_exit import process_voluntary_exit, voluntary_exit_signing_root
from stakework.transition.errors import InvalidOperation


def test_voluntary_exit__signature_not_verified__applied_as_the_validly_signed_exit():
    state = make_state(MINIMAL, 8)
    message = VoluntaryExit(0, 1)
    valid = SignedVoluntaryExit(message, key(1).sign(voluntary_exit_signing_root(state, message)))
    garbage = SignedVoluntaryExit(message, b"\x01" * 96)
    signed, unsigned = state.copy(), state.copy()
    process_voluntary_exit(signed, valid)
    process_voluntary_exit(unsigned, garbage, verify_signature=False)
    assert_unchanged(signed, unsigned)
    assert (
        int(unsigned.validators.exit_epoch[1])
        == int(signed.validators.exit_epoch[1])
        != int(state.validators.exit_epoch[1])
    )
    with pytest.raises(InvalidOperation, match="invalid signature"):
        process_voluntary_exit(state.copy(), garbage)


def test_voluntary_exit__signature_not_verified__other_checks_still_refuse():
    state = make_state(MINIMAL, 8)
    process_voluntary_exit(state, SignedVoluntaryExit(VoluntaryExit(0, 1), b"\x01" * 96), verify_signature=False)
    with pytest.raises(InvalidOperation, match="already initiated"):
        process_voluntary_exit(state, SignedVoluntaryExit(VoluntaryExit(0, 1), b"\x01" * 96), verify_signature=False)
    with pytest.raises(InvalidOperation, match="does not exist"):
        process_voluntary_exit(state, SignedVoluntaryExit(VoluntaryExit(0, 99), b"\x01" * 96), verify_signature=False)
