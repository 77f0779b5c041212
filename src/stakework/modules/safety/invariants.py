"""Safety-module invariants: ``check(state, host)`` lists every violation (the registry's form, as the pool and
liquid modules'); :func:`enforce` raises :class:`SafetyInvariantBroken` with them.

What the host's accounts must hold (the module's SWK account = SWK vault assets + emitted - claimed; its stSWK
shares = the stSWK vault's assets) is not visible through ``ModuleHost``; the tests check it on ``FakeHost``.
"""

from __future__ import annotations

from stakework.modules.arith import BPS
from stakework.modules.host import ModuleHost
from stakework.modules.safety.errors import InvalidParameter, SafetyInvariantBroken
from stakework.modules.safety.handlers import pending_rewards
from stakework.modules.safety.parameters import MAX_SLASH_CEILING_BPS, check_parameters
from stakework.modules.safety.state import MAX_INDEX, SLASH_HISTORY, SafetyState, Vault
from stakework.modules.shares import BURN_ADDRESS, MAX_SHARES


def check_vault(vault: Vault, epoch: int) -> list[str]:
    p = f"vault {vault.name}: "
    ledger = vault.ledger
    problems = [p + x for x in ledger.check()]
    holders = {h for h in ledger.shares if h != BURN_ADDRESS}
    if ledger.total_shares > MAX_SHARES:
        problems.append(p + f"{ledger.total_shares} shares, more than 2^64 - 1")
    if set(vault.user_index) != holders:
        problems.append(p + "holders and reward-index entries differ (a holder was not settled)")
    if any(not 0 <= i <= vault.index for i in vault.user_index.values()):
        problems.append(p + "a holder's index is above the vault's")
    if any(v <= 0 for v in vault.accrued.values()):
        problems.append(p + "a zero or negative accrued reward")
    owed = sum(vault.accrued.values()) + sum(pending_rewards(vault, h) for h in holders)
    if vault.claimed + owed > vault.emitted:
        problems.append(p + f"claimed {vault.claimed} + owed {owed} exceeds emitted {vault.emitted}")
    if not vault.index <= MAX_INDEX or not vault.emitted <= MAX_INDEX:
        problems.append(p + "index or emitted total past 2^64 - 1")
    if not set(vault.cooldowns) <= holders:
        problems.append(p + "a cooldown for an address that holds no stkSWK")
    if any(start > epoch for start in vault.cooldowns.values()):
        problems.append(p + "a cooldown starts in the future")
    if vault.slashed < 0 or vault.claimed < 0:
        problems.append(p + "negative slashed or claimed total")
    return problems


def check(state: SafetyState, host: ModuleHost) -> list[str]:
    problems = check_vault(state.swk, host.epoch) + check_vault(state.stswk, host.epoch)
    try:
        check_parameters(state.params)
    except InvalidParameter as exc:
        problems.append(str(exc))
    if len(state.slash_history) > SLASH_HISTORY:
        problems.append(f"{len(state.slash_history)} slashings kept, more than {SLASH_HISTORY}")
    for r in state.slash_history:
        if not 0 < r.amount <= r.cap or r.cap * BPS > r.assets_before * MAX_SLASH_CEILING_BPS:
            problems.append(f"slashing at epoch {r.epoch} took {r.amount}, cap {r.cap} of {r.assets_before}")
    if BURN_ADDRESS in state.slashers or len(set(state.slashers)) != len(state.slashers):
        problems.append("the burn address or a duplicate among the slashers")
    return problems


def enforce(state: SafetyState, host: ModuleHost) -> None:
    """Raise :class:`SafetyInvariantBroken` listing every violation, if any."""
    problems = check(state, host)
    if problems:
        raise SafetyInvariantBroken("; ".join(problems))
