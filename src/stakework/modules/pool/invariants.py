"""Pool invariants, checked by tests after every step: ``check(state, host)`` lists every violation."""

from __future__ import annotations

from stakework.modules.host import ModuleHost
from stakework.modules.pool.state import QUEUE_HOLDER, PoolModuleState


def check(state: PoolModuleState, host: ModuleHost) -> list[str]:
    problems: list[str] = []
    for pool in state.pools.values():
        p = f"pool {pool.id}: "
        problems += [p + x for x in pool.ledger.check()]
        value = pool.buffer + sum(v.last_balance for v in pool.validators)
        if pool.ledger.total_assets != value:
            problems.append(p + f"ledger assets {pool.ledger.total_assets} != buffer + validators {value}")
        if pool.buffer < 0 or pool.reserved < 0:
            problems.append(p + f"negative buffer {pool.buffer} or reserved {pool.reserved}")
        if not 0 <= pool.commission_bps <= 10_000:
            problems.append(p + f"commission {pool.commission_bps} out of range")
        unfinalized = [r for r in pool.requests.values() if not r.finalized]
        finalized = [r for r in pool.requests.values() if r.finalized]
        if sum(r.shares for r in unfinalized) != pool.ledger.shares_of(QUEUE_HOLDER):
            problems.append(p + "queue holder's shares differ from the unfinalized requests' shares")
        if sum(r.amount for r in unfinalized) != pool.queued_assets:
            problems.append(p + "queued assets differ from the unfinalized requests' amounts")
        if sum(r.paid for r in finalized) != pool.reserved:
            problems.append(p + f"reserved {pool.reserved} differs from finalized unclaimed payouts")
        if any(r.id >= pool.next_to_finalize for r in finalized) or any(
            r.id < pool.next_to_finalize for r in unfinalized
        ):
            problems.append(p + "finalization is not FIFO")
        if any(r.paid > r.amount for r in finalized):
            problems.append(p + "a request was paid more than its amount at request time")
        if any(v.last_balance <= 0 for v in pool.validators):
            problems.append(p + "a tracked validator has no balance")
    return problems
