"""The slasher: watches attestations and block headers for slashable behaviour and turns what it finds into
slashings for the next block (Spec: is_slashable_attestation_data — double and surround votes; proposer
slashings — two different headers for one slot).

Per validator it keeps the attestations it has seen by target epoch (with their source and the indexed
attestation that carried them), so a double vote is a dictionary hit and a surround check looks only at that
validator's records; records older than the finalized epoch are pruned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stakework.state.beacon_state import BeaconState
from stakework.transition.block.attestation import get_attesting_indices
from stakework.transition.block.attester_slashing import is_slashable_attestation_data
from stakework.transition.block.block import (
    Attestation,
    AttesterSlashing,
    IndexedAttestation,
    ProposerSlashing,
    SignedBeaconBlockHeader,
)
from stakework.transition.errors import TransitionError


@dataclass
class Slasher:
    attestations: dict[int, dict[int, list[IndexedAttestation]]] = field(default_factory=dict)
    """validator → target epoch → indexed attestations seen (different data only)."""
    headers: dict[tuple[int, int], SignedBeaconBlockHeader] = field(default_factory=dict)
    """(proposer, slot) → the first signed header seen."""
    found_attester: list[AttesterSlashing] = field(default_factory=list)
    found_proposer: list[ProposerSlashing] = field(default_factory=list)
    _reported: set[int] = field(default_factory=set)

    def on_attestation(self, state: BeaconState, attestation: Attestation) -> int:
        """Record an aggregate (its committees resolved on `state`); returns how many new slashings it revealed."""
        try:
            indices = [int(i) for i in get_attesting_indices(state, attestation)]
        except TransitionError:
            return 0
        return self.on_indexed_attestation(IndexedAttestation(indices, attestation.data, attestation.signature))

    def on_indexed_attestation(self, indexed: IndexedAttestation) -> int:
        found = 0
        data = indexed.data
        for validator in indexed.attesting_indices:
            by_target = self.attestations.setdefault(validator, {})
            conflict = None
            for seen_list in by_target.values():
                for seen in seen_list:
                    if seen.data == data:
                        continue
                    if is_slashable_attestation_data(seen.data, data):
                        conflict = AttesterSlashing(seen, indexed)
                    elif is_slashable_attestation_data(data, seen.data):
                        conflict = AttesterSlashing(indexed, seen)
                    if conflict:
                        break
                if conflict:
                    break
            records = by_target.setdefault(data.target.epoch, [])
            if all(r.data != data for r in records):
                records.append(indexed)
            if conflict is not None and validator not in self._reported:
                shared = set(conflict.attestation_1.attesting_indices) & set(conflict.attestation_2.attesting_indices)
                self._reported.update(shared)
                self.found_attester.append(conflict)
                found += 1
        return found

    def on_block_header(self, signed: SignedBeaconBlockHeader) -> int:
        h = signed.message
        key = (h.proposer_index, h.slot)
        seen = self.headers.get(key)
        if seen is None:
            self.headers[key] = signed
            return 0
        if seen.message != h and h.proposer_index not in self._reported:
            self._reported.add(h.proposer_index)
            self.found_proposer.append(ProposerSlashing(seen, signed))
            return 1
        return 0

    def take(self, max_attester: int, max_proposer: int) -> tuple[list[AttesterSlashing], list[ProposerSlashing]]:
        """Slashings for the next block (removed from the queue; put back with `restore` if unused)."""
        attester, self.found_attester = self.found_attester[:max_attester], self.found_attester[max_attester:]
        proposer, self.found_proposer = self.found_proposer[:max_proposer], self.found_proposer[max_proposer:]
        return attester, proposer

    def restore(self, attester: list[AttesterSlashing], proposer: list[ProposerSlashing]) -> None:
        self.found_attester[:0] = attester
        self.found_proposer[:0] = proposer

    def prune(self, finalized_epoch: int, slots_per_epoch: int) -> None:
        """Forget what finality has made irrelevant."""
        for validator in list(self.attestations):
            by_target = self.attestations[validator]
            for epoch in [e for e in by_target if e < finalized_epoch]:
                del by_target[epoch]
            if not by_target:
                del self.attestations[validator]
        slot_floor = finalized_epoch * slots_per_epoch
        self.headers = {k: v for k, v in self.headers.items() if k[1] >= slot_floor}
