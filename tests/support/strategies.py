"""Hypothesis strategies for random, valid stakework BeaconStates at an epoch boundary.

They follow the reference-vector generator (../shared/vectors/README.md): per validator a random kind (active
with 0x00/0x01 credentials up to 32 ETH or compounding 0x02 up to 2048 ETH, hysteresis-edge balances, ejection
candidates, exiting and exited, slashed with `withdrawable_epoch = E + EPOCHS_PER_SLASHINGS_VECTOR // 2` so the
correlation penalty applies this epoch, recently and long-ago slashed, activation-eligible before and after the
finalized epoch, new with and without a full balance); random participation flags and inactivity scores; a
leak scenario with finality 6-60 epochs behind; pending deposits (top-ups, top-ups of exited validators that get
postponed, new validators with real and wrong-key BLS signatures, a not-yet-finalized deposit that blocks the
queue); pending consolidations from exited or slashed sources to compounding targets.

Hypothesis draws the structure (preset, size, scenario, epoch, which optional features) and a seed; the
per-validator details come from a numpy generator seeded by it, so states of 2,000 validators stay cheap to
draw. `build_state(...)` is the plain function behind the strategy: call it with fixed arguments to rebuild a
failing example by hand.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from stakework.spec.presets import MAINNET, MINIMAL, PRESETS, Preset
from stakework.spec.types import FAR_FUTURE_EPOCH
from stakework.state import (
    BeaconBlockHeader,
    BeaconState,
    Checkpoint,
    HistoricalSummary,
    PendingConsolidation,
    PendingDeposit,
    PendingPartialWithdrawal,
    Registry,
)

ETH = 10**9
FAR = FAR_FUTURE_EPOCH
UNSET_INDEX = 2**64 - 1

SCENARIOS = ("normal", "leak", "low_participation", "finality_rules", "hysteresis", "genesis", "stress")

# Validator kinds and their weights per scenario.
KINDS = (
    "active",
    "hysteresis",
    "ejection",
    "exiting",
    "exited",
    "slashed_now",
    "slashed_recent",
    "slashed_old",
    "eligible_finalized",
    "eligible_unfinalized",
    "pending_activation",
    "new_full",
    "new_low",
)
_WEIGHTS = {
    "normal": (40, 6, 3, 4, 5, 3, 3, 2, 3, 2, 2, 2, 2),
    "leak": (40, 4, 5, 3, 4, 3, 3, 2, 2, 2, 2, 2, 1),
    "low_participation": (40, 5, 5, 4, 4, 3, 3, 2, 3, 2, 2, 2, 2),
    "finality_rules": (45, 4, 2, 3, 3, 2, 2, 2, 4, 4, 2, 2, 2),
    "hysteresis": (20, 40, 4, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2),
    "genesis": (60, 10, 2, 0, 0, 0, 0, 0, 8, 0, 0, 10, 5),
    # few active validators: mostly exited, slashed, ejected or queued (total active balance near its floor)
    "stress": (4, 4, 20, 10, 25, 10, 10, 10, 5, 5, 5, 5, 5),
}


# -- a small pool of really signed deposits (built once per session and preset) -----------------------------
@dataclass(frozen=True)
class SignedDeposit:
    pubkey: bytes
    withdrawal_credentials: bytes
    amount: int
    signature: bytes
    valid: bool


_DEPOSIT_POOL: dict[str, list[SignedDeposit]] = {}
POOL_SIZE = 12


def deposit_pool(preset: Preset) -> list[SignedDeposit]:
    """Deposits for new validators with real BLS signatures (proof-of-possession scheme, deposit domain from the
    preset's genesis fork version, as the reference computes it), half signed by the right key and half by a
    wrong one. Cached per preset base for the session."""
    key = preset.PRESET_BASE
    if key in _DEPOSIT_POOL:
        return _DEPOSIT_POOL[key]
    from blspy import PopSchemeMPL

    from support.pyspec_bridge import spec_module

    spec = spec_module(key)
    domain = spec.compute_domain(spec.DOMAIN_DEPOSIT)  # GENESIS_FORK_VERSION, zero genesis_validators_root
    pool = []
    for i in range(POOL_SIZE):
        sk = PopSchemeMPL.key_gen(hashlib.sha256(f"stakework-test-deposit-{i}".encode()).digest())
        pubkey = bytes(sk.get_g1())
        compounding = i % 3 == 2
        prefix = b"\x02" if compounding else b"\x01"
        wc = prefix + b"\x00" * 11 + hashlib.sha256(pubkey).digest()[:20]
        amount = (32 * ETH, 1 * ETH, 33 * ETH + 123_456_789, 64 * ETH, 2048 * ETH, 16 * ETH)[i % 6]
        if not compounding and amount > 32 * ETH:
            amount = 32 * ETH + 5
        message = spec.DepositMessage(pubkey=pubkey, withdrawal_credentials=wc, amount=amount)
        root = bytes(spec.compute_signing_root(message, domain))
        valid = i % 2 == 0
        signer = sk if valid else PopSchemeMPL.key_gen(hashlib.sha256(f"wrong-key-{i}".encode()).digest())
        signature = bytes(PopSchemeMPL.sign(signer, root))
        pool.append(SignedDeposit(pubkey, wc, amount, signature, valid))
    # malformed ones, which both must drop: the G2 point at infinity as signature, undecodable signature bytes,
    # the G1 identity as public key (fails KeyValidate), undecodable public key bytes
    good = pool[0]
    infinity_sig = b"\xc0" + b"\x00" * 95
    identity_pk = b"\xc0" + b"\x00" * 47
    garbage = hashlib.sha256(b"garbage").digest() * 3
    pool += [
        SignedDeposit(good.pubkey, good.withdrawal_credentials, good.amount, infinity_sig, False),
        SignedDeposit(good.pubkey, good.withdrawal_credentials, good.amount, garbage, False),
        SignedDeposit(identity_pk, good.withdrawal_credentials, good.amount, infinity_sig, False),
        SignedDeposit(garbage[:48], good.withdrawal_credentials, good.amount, good.signature, False),
    ]
    _DEPOSIT_POOL[key] = pool
    return pool


# -- the builder -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shape:
    """Structural choices hypothesis makes; the rest is drawn from `seed`. A failing example prints as
    `Shape(preset='minimal', n=..., ...)`: `build_state(MINIMAL, n, scenario, epoch, seed, ...)` rebuilds it."""

    preset: str
    n: int
    scenario: str
    epoch: int
    seed: int
    pending_deposits: bool = True
    pending_consolidations: bool = True
    mass_slashing: bool = False
    requests_unset: bool = False


def build_state(
    preset: Preset,
    n: int,
    scenario: str = "normal",
    epoch: int = 1000,
    seed: int = 0,
    *,
    pending_deposits: bool = True,
    pending_consolidations: bool = True,
    mass_slashing: bool = False,
    requests_unset: bool = False,
) -> BeaconState:
    """A random valid state with `n` validators at the last slot of `epoch` (deterministic in its arguments)."""
    rng = np.random.default_rng(seed)
    p = preset
    E = epoch
    spe = p.SLOTS_PER_EPOCH
    epsv = p.EPOCHS_PER_SLASHINGS_VECTOR
    delay = p.MIN_VALIDATOR_WITHDRAWABILITY_DELAY
    inc = p.EFFECTIVE_BALANCE_INCREMENT

    def ep(x: int) -> int:
        return max(0, int(x))

    def rand_root() -> bytes:
        return rng.bytes(32)

    # ---- checkpoints and justification bits ----
    if scenario == "genesis" or E < 2:
        bits = [bool(b) for b in rng.integers(0, 2, 4)] if E >= 1 else [False] * 4
        fin = pj = cj = 0
    elif scenario == "leak":
        lag = int(rng.integers(4, 61))  # finality delay 3..59: includes both sides of the leak threshold (4)
        fin = ep(E - lag)
        pj = min(E - 1, fin + int(rng.integers(0, 3)))
        cj = min(E - 1, pj + int(rng.integers(0, 3)))
        bits = [bool(b) for b in (rng.random(4) < 0.15)]
    elif scenario == "finality_rules":
        pj = ep(E - int(rng.integers(1, 5)))
        cj = min(E - 1, pj + int(rng.integers(0, 3)))
        fin = ep(pj - int(rng.integers(0, 3)))
        bits = [bool(b) for b in rng.integers(0, 2, 4)]
    else:
        cj = E - 1
        pj = ep(E - 2)
        fin = ep(E - 2 - int(rng.integers(0, 2)))
        bits = [True, True, bool(rng.integers(0, 2)), bool(rng.integers(0, 2))]
    fin_slot = fin * spe

    # ---- validators ----
    weights = np.array(_WEIGHTS[scenario], dtype=float)
    kinds = rng.choice(len(KINDS), size=n, p=weights / weights.sum())
    cols: dict[str, Any] = {
        "pubkey": rng.integers(0, 256, (n, 48), dtype=np.uint8),
        "withdrawal_credentials": rng.integers(0, 256, (n, 32), dtype=np.uint8),
    }
    prefix = rng.choice(3, size=n, p=[0.3, 0.4, 0.3]).astype(np.uint8)
    cols["withdrawal_credentials"][:, 0] = prefix
    cols["withdrawal_credentials"][prefix > 0, 1:12] = 0
    eb = np.zeros(n, dtype=object)
    bal = np.zeros(n, dtype=object)
    slashed = np.zeros(n, dtype=bool)
    aee = np.full(n, FAR, dtype=object)
    act = np.full(n, FAR, dtype=object)
    ext = np.full(n, FAR, dtype=object)
    wde = np.full(n, FAR, dtype=object)

    def active_eb(max_eb: int) -> int:
        if max_eb > 32 * ETH:
            r = rng.random()
            if r < 0.4:
                return 32 * ETH
            if r < 0.8:
                return int(rng.integers(32, 129)) * ETH
            return int(rng.integers(129, max_eb // ETH + 1)) * ETH
        return 32 * ETH if rng.random() < 0.8 else int(rng.integers(17, 33)) * ETH

    def activated() -> tuple[int, int]:
        a = ep(E - int(rng.integers(0, 3000)))
        return ep(a - int(rng.integers(1, 10))), a

    for i in range(n):
        kind = KINDS[kinds[i]]
        max_eb = p.MAX_EFFECTIVE_BALANCE_ELECTRA if prefix[i] == 2 else p.MIN_ACTIVATION_BALANCE
        e = active_eb(max_eb)
        b = e + int(rng.integers(-ETH // 2, ETH))
        aee[i], act[i] = activated()
        if kind == "hysteresis":
            r = rng.integers(0, 3)
            # around the thresholds, sometimes exactly on them (balance + 0.25 == EB, EB + 1.25 == balance)
            jitter = int(rng.integers(-1, 2)) if rng.random() < 0.4 else int(rng.integers(-2_000_000, 2_000_001))
            if r == 0:
                b = e - ETH // 4 + jitter
            elif r == 1:
                b = e + ETH + ETH // 4 + jitter
            else:
                e = max_eb
                b = max_eb + int(rng.integers(0, 3 * ETH))
        elif kind == "ejection":
            e = int(rng.integers(15, 18)) * ETH
            b = e + int(rng.integers(-ETH, ETH))
        elif kind == "exiting":
            ext[i] = E + int(rng.integers(1, 20))
            wde[i] = ext[i] + delay
        elif kind == "exited":
            ext[i] = ep(E - int(rng.integers(0, 2 * delay)))
            wde[i] = ext[i] + delay
            if rng.random() < 0.25 and delay <= E:  # withdrawable right at the queue boundaries (E, E+1, E+2)
                wde[i] = E + int(rng.integers(0, 3))
                ext[i] = wde[i] - delay
            if rng.random() < 0.3:
                b = int(rng.integers(0, ETH))  # partly withdrawn
        elif kind.startswith("slashed"):
            slashed[i] = True
            if kind == "slashed_now":
                s = E - epsv // 2
                wde[i] = E + epsv // 2
            elif kind == "slashed_recent":
                s = E - int(rng.integers(0, epsv // 2))
                wde[i] = ep(s) + epsv
            else:
                s = E - epsv - int(rng.integers(0, 1000))
                wde[i] = ep(ep(s) + epsv)
                if rng.random() < 0.5:
                    b = int(rng.integers(0, 2 * ETH))
            s = ep(s)
            # slash_validator: exit through the churn, withdrawable = max(exit + delay, slashed + EPSV)
            ext[i] = s + 1 + p.MAX_SEED_LOOKAHEAD + int(rng.integers(0, 20))
            if kind == "slashed_now":  # the correlation penalty epoch: keep withdrawable exactly there
                ext[i] = ep(min(ext[i], wde[i] - delay))
            else:
                wde[i] = max(wde[i], ext[i] + delay)
            b -= e // p.MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA
        elif kind in ("eligible_finalized", "eligible_unfinalized", "pending_activation", "new_full", "new_low"):
            act[i] = FAR
            if kind == "eligible_finalized":
                aee[i] = ep(fin - int(rng.integers(0, 10)))
            elif kind == "eligible_unfinalized":
                aee[i] = fin + 1 + int(rng.integers(0, max(1, E + 1 - fin)))
            elif kind == "pending_activation":
                aee[i] = ep(E - int(rng.integers(1, 10)))
                act[i] = E + 1 + int(rng.integers(0, p.MAX_SEED_LOOKAHEAD + 1))
            elif kind == "new_full":
                aee[i] = FAR
                e = p.MIN_ACTIVATION_BALANCE if prefix[i] < 2 else int(rng.integers(32, 65)) * ETH
                b = e + int(rng.integers(0, ETH))
            else:
                aee[i] = FAR
                e = int(rng.integers(1, 32)) * ETH
                b = e + int(rng.integers(0, ETH))
        if scenario == "genesis" and kind == "active":
            aee[i], act[i] = 0, 0
        if kind in ("eligible_finalized", "eligible_unfinalized", "pending_activation"):
            e = max(e, p.MIN_ACTIVATION_BALANCE)
        if ext[i] != FAR:  # activation_eligibility_epoch <= activation_epoch <= exit_epoch
            act[i] = min(act[i], ext[i])
            aee[i] = min(aee[i], act[i])
        eb[i] = max(0, min(e, max_eb)) // inc * inc
        bal[i] = max(0, b)

    cols["effective_balance"] = np.array(eb, dtype=np.uint64)
    cols["balances"] = np.array(bal, dtype=np.uint64)
    cols["slashed"] = slashed
    cols["activation_eligibility_epoch"] = np.array(aee, dtype=np.uint64)
    cols["activation_epoch"] = np.array(act, dtype=np.uint64)
    cols["exit_epoch"] = np.array(ext, dtype=np.uint64)
    cols["withdrawable_epoch"] = np.array(wde, dtype=np.uint64)

    # participation flags: per-scenario rates; a few flags on validators that could not have earned them
    lo, hi = {"normal": (0.85, 1.0), "leak": (0.2, 0.6), "low_participation": (0.3, 0.7)}.get(scenario, (0.4, 1.0))
    active_prev = (cols["activation_epoch"] <= max(E - 1, 0)) & (max(E - 1, 0) < cols["exit_epoch"])
    active_cur = (cols["activation_epoch"] <= E) & (cols["exit_epoch"] > E)

    def flags(active: np.ndarray) -> np.ndarray:
        out = np.zeros(n, dtype=np.uint8)
        for bit in range(3):
            rate = rng.uniform(lo, hi)
            out |= ((rng.random(n) < rate).astype(np.uint8) << bit).astype(np.uint8)
        stray = rng.random(n) < 0.05
        return np.where(active | stray, out, 0).astype(np.uint8)

    cols["previous_epoch_participation"] = flags(active_prev)
    cols["current_epoch_participation"] = flags(active_cur)
    if scenario == "leak":
        scores = rng.integers(0, 5000, n) * (rng.random(n) < 0.9)
        scores[rng.random(n) < 0.02] = int(rng.integers(10_000, 1_000_000))
    else:
        scores = rng.integers(0, 60, n) * (rng.random(n) < 0.3)
    cols["inactivity_scores"] = scores.astype(np.uint64)

    state = BeaconState(preset=p, validators=Registry.from_columns(cols))
    state.slot = E * spe + spe - 1
    state.genesis_time = int(rng.integers(1_600_000_000, 1_700_000_000))
    state.genesis_validators_root = rand_root()
    state.fork_previous_version = p.ELECTRA_FORK_VERSION
    state.fork_current_version = p.ELECTRA_FORK_VERSION
    state.fork_epoch = 0
    state.latest_block_header = BeaconBlockHeader(
        slot=state.slot - int(rng.integers(0, spe)),
        proposer_index=int(rng.integers(0, max(n, 1))),
        parent_root=rand_root(),
        state_root=b"\x00" * 32,
        body_root=rand_root(),
    )
    state.justification_bits = bits
    state.previous_justified_checkpoint = Checkpoint(pj, rand_root() if pj else b"\x00" * 32)
    state.current_justified_checkpoint = Checkpoint(cj, rand_root() if cj else b"\x00" * 32)
    state.finalized_checkpoint = Checkpoint(fin, rand_root() if fin else b"\x00" * 32)

    # roots and mixes: the ones the epoch reads, plus a few elsewhere
    shr, ehv = p.SLOTS_PER_HISTORICAL_ROOT, p.EPOCHS_PER_HISTORICAL_VECTOR
    for slot in (max(E - 1, 0) * spe, E * spe, *rng.integers(0, shr, 4).tolist()):
        state.block_roots[slot % shr] = np.frombuffer(rand_root(), dtype=np.uint8)
    for slot in rng.integers(0, shr, 4).tolist():
        state.state_roots[slot % shr] = np.frombuffer(rand_root(), dtype=np.uint8)
    for mix_epoch in (E, *rng.integers(0, ehv, 3).tolist()):
        state.randao_mixes[mix_epoch % ehv] = np.frombuffer(rand_root(), dtype=np.uint8)

    # slashings vector: the slashed validators' balances in the recent window (mass slashing caps the penalty)
    recent = slashed & (cols["withdrawable_epoch"] >= E)
    for i in np.flatnonzero(recent).tolist():
        state.slashings[int(rng.integers(0, epsv))] += cols["effective_balance"][i]
    if mass_slashing:
        total = int(cols["effective_balance"].sum())
        state.slashings[int(rng.integers(0, epsv))] += np.uint64(total // 3 + int(rng.integers(0, total // 2 + 1)))

    # churn and queue scalars
    state.eth1_deposit_index = n
    state.deposit_requests_start_index = UNSET_INDEX if requests_unset else n
    state.deposit_balance_to_consume = int(rng.choice([0, int(rng.integers(0, 300)) * ETH + int(rng.integers(0, ETH))]))
    state.exit_balance_to_consume = int(rng.integers(0, 256)) * ETH
    state.earliest_exit_epoch = ep(E + int(rng.integers(-3, 30)))
    state.consolidation_balance_to_consume = int(rng.integers(0, 256)) * ETH
    state.earliest_consolidation_epoch = ep(E + int(rng.integers(-3, 30)))
    state.next_withdrawal_index = int(rng.integers(0, 10**6))
    state.next_withdrawal_validator_index = int(rng.integers(0, max(n, 1)))
    state.historical_summaries = [HistoricalSummary(rand_root(), rand_root()) for _ in range(int(rng.integers(0, 3)))]
    state.pending_partial_withdrawals = [
        PendingPartialWithdrawal(int(rng.integers(0, n)), int(rng.integers(1, 10)) * ETH, E + int(rng.integers(0, 300)))
        for _ in range(int(rng.integers(0, 3)))
    ]

    # stakework's native account ledger: some withdrawal addresses of validators, some other addresses
    owners = rng.integers(0, max(n, 1), int(rng.integers(0, 6))).tolist() if n else []
    for address in [cols["withdrawal_credentials"][i, 12:].tobytes() for i in owners] + [
        rng.bytes(20) for _ in range(int(rng.integers(0, 3)))
    ]:
        state.accounts.credit(address, int(rng.integers(1, 100 * ETH)))
        for _ in range(int(rng.integers(0, 3))):
            state.accounts.increment_nonce(address)

    if pending_deposits:
        state.pending_deposits = _pending_deposits(state, rng, fin_slot)
    if pending_consolidations:
        state.pending_consolidations = _pending_consolidations(state, rng)
    return state


def _pending_deposits(state: BeaconState, rng: np.random.Generator, fin_slot: int) -> list[PendingDeposit]:
    reg = state.validators
    n = len(reg)
    E = state.current_epoch()
    deposits: list[tuple[int, PendingDeposit]] = []

    def slot_for() -> int:
        r = rng.random()
        if r < 0.4 or fin_slot == 0:
            return 0
        if r < 0.9:
            return int(rng.integers(1, fin_slot + 1))
        # not finalized yet: blocks the queue (a deposit request is never from a slot after the state's)
        return min(fin_slot + 1 + int(rng.integers(0, 3 * state.preset.SLOTS_PER_EPOCH)), state.slot)

    count = int(rng.choice([0, int(rng.integers(1, 6)), int(rng.integers(6, 25))]))
    if rng.random() < 0.2 and n:  # a burst of small finalized top-ups: more than MAX_PENDING_DEPOSITS_PER_EPOCH fit
        for i in rng.integers(0, n, int(rng.integers(14, 30))).tolist():
            amount = int(rng.integers(1, 3)) * ETH + int(rng.integers(0, 1000))
            deposits.append(
                (
                    0,
                    PendingDeposit(
                        reg.pubkey[i].tobytes(), reg.withdrawal_credentials[i].tobytes(), amount, b"\x00" * 96, 0
                    ),
                )
            )
    exited = np.flatnonzero((reg.exit_epoch < FAR) & (reg.withdrawable_epoch > E))
    pool = deposit_pool(state.preset)
    for _ in range(count):
        r = rng.random()
        if r < 0.45 and n:
            i = int(rng.integers(0, n))
            amount = int(rng.choice([ETH, 2 * ETH, 31 * ETH, 32 * ETH, int(rng.integers(1, 3000)) * ETH]))
            amount += int(rng.integers(0, 1000))
        elif r < 0.6 and len(exited):
            i = int(rng.choice(exited))
            amount = int(rng.integers(1, 40)) * ETH
        else:
            d = pool[int(rng.integers(0, len(pool)))]
            dep = PendingDeposit(d.pubkey, d.withdrawal_credentials, d.amount, d.signature, slot_for())
            deposits.append((dep.slot, dep))
            if rng.random() < 0.1:  # a second deposit for the same new key becomes a top-up
                deposits.append((dep.slot, dep))
            continue
        dep = PendingDeposit(
            reg.pubkey[i].tobytes(), reg.withdrawal_credentials[i].tobytes(), amount, b"\x00" * 96, slot_for()
        )
        deposits.append((dep.slot, dep))
    deposits.sort(key=lambda x: x[0])
    return [d for _, d in deposits]


def _pending_consolidations(state: BeaconState, rng: np.random.Generator) -> list[PendingConsolidation]:
    reg = state.validators
    E = state.current_epoch()
    sources = np.flatnonzero(reg.exit_epoch < FAR)
    targets = np.flatnonzero(
        reg.has_compounding_withdrawal_credential() & (reg.activation_epoch <= E) & (reg.exit_epoch == FAR)
    )
    if not len(sources) or not len(targets):
        return []
    count = int(rng.integers(0, min(6, len(sources)) + 1))
    chosen = rng.choice(sources, size=count, replace=False)
    # mostly withdrawable sources first (processed), then ones not yet withdrawable (they stop the queue)
    chosen = sorted(chosen.tolist(), key=lambda i: (int(reg.withdrawable_epoch[i]) > E, rng.random()))
    return [PendingConsolidation(int(s), int(rng.choice(targets))) for s in chosen]


# -- hypothesis strategies ---------------------------------------------------------------------------------
def _epochs(preset: Preset, scenario: str) -> st.SearchStrategy[int]:
    if scenario == "genesis":
        return st.sampled_from([0, 1, 2])
    spe = preset.SLOTS_PER_EPOCH
    summary_period = preset.SLOTS_PER_HISTORICAL_ROOT // spe
    low = 100 if scenario == "leak" else 2
    return st.one_of(
        st.integers(low, 400_000),
        # on a historical-summaries (and sync-committee) boundary
        st.integers(max(1, low // summary_period + 1), 400_000 // summary_period).map(lambda k: k * summary_period - 1),
        st.integers(low, low + 40),
    )


@st.composite
def shapes(
    draw: st.DrawFn,
    presets: tuple[Preset, ...] = (MAINNET, MINIMAL),
    min_validators: int = 8,
    max_validators: int = 200,
    scenarios: tuple[str, ...] = SCENARIOS,
) -> Shape:
    preset = draw(st.sampled_from(presets))
    scenario = draw(st.sampled_from(scenarios))
    return Shape(
        preset=preset.PRESET_NAME,
        n=draw(st.integers(min_validators, max_validators)),
        scenario=scenario,
        epoch=draw(_epochs(preset, scenario)),
        seed=draw(st.integers(0, 2**32 - 1)),
        pending_deposits=draw(st.booleans()) or draw(st.booleans()),
        pending_consolidations=draw(st.booleans()) or draw(st.booleans()),
        mass_slashing=draw(st.integers(0, 9)) == 0,
        requests_unset=draw(st.integers(0, 9)) == 0,
    )


def state_from_shape(shape: Shape) -> BeaconState:
    return build_state(
        PRESETS[shape.preset],
        shape.n,
        shape.scenario,
        shape.epoch,
        shape.seed,
        pending_deposits=shape.pending_deposits,
        pending_consolidations=shape.pending_consolidations,
        mass_slashing=shape.mass_slashing,
        requests_unset=shape.requests_unset,
    )


def beacon_states(
    presets: tuple[Preset, ...] = (MAINNET, MINIMAL),
    min_validators: int = 8,
    max_validators: int = 200,
    scenarios: tuple[str, ...] = SCENARIOS,
) -> st.SearchStrategy[BeaconState]:
    """Random valid states at the last slot of an epoch (see the module docstring)."""
    return shapes(presets, min_validators, max_validators, scenarios).map(state_from_shape)


def examples(n: int) -> settings:
    """Settings for `n` examples without a deadline (the reference is slow). Under a hypothesis profile that asks
    for more examples than the default (HYPOTHESIS_PROFILE=thorough), the profile's count wins, for soak runs."""
    profile_count = settings.default.max_examples if settings.default is not None else 100
    return settings(
        max_examples=max(n, profile_count) if profile_count > 100 else n,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
