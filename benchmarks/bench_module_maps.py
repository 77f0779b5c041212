"""The module store's root after one user of the lending, governance or safety module changes, at U users in that
module (issue #16): each of the module's per-user integer maps holds U users, then one user's entry is written and
the store's root (`state/commitment.py: ModuleTree.update`) brought up to date. Before the per-user maps were
committed as holder tables, the whole module part was re-encoded canonically (every map sorted in Python) on
every such change; now only the user's bucket in each written map is re-hashed.

    .venv/bin/python benchmarks/bench_module_maps.py [--users 100000] [--runs 7]

Prints, per module, the median time of the root after one user changed and of the first root (every table built).
`--checkpoints` also fills the record tables (`HolderTables.record_tables`): every governance user gets a
voting-power checkpoint (governance's `checkpoints`, a tuple per user) and every lending user settings (lending's
`users`), and adds a delegation and a settings change to the writes. Before these were record tables they were part
of their module's summary: every root encoded it plainly to compare, and a governance change re-encoded it
canonically. Keep U at 200k or below on a shared machine."""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from stakework.modules import registry
from stakework.modules.governance.state import Checkpoint
from stakework.modules.governance.votes import delegate, record_balance_change
from stakework.modules.lending.state import UserConfig
from stakework.modules.store import ModuleStore
from stakework.spec.presets import DEVNET
from stakework.state.commitment import ModuleTree

ADMIN = bytes(19) + b"\x01"


def _users(n: int, rng: np.random.Generator) -> list[bytes]:
    raw = rng.bytes(20 * n)
    return [raw[i : i + 20] for i in range(0, 20 * n, 20)]


def _fill(
    store: ModuleStore, users: list[bytes], rng: np.random.Generator, checkpoints: bool
) -> dict[str, Callable[[int], None]]:
    """Every per-user integer map of the three modules filled with `users` (with `checkpoints`, the record tables
    too: governance's checkpoints, each user its own delegatee, and lending's user settings); per module, a write to
    one user."""
    n = len(users)

    def values() -> dict[bytes, int]:
        return dict(zip(users, rng.integers(1, 10**12, size=n).tolist(), strict=True))

    lending, governance, safety = store.get("lending"), store.get("governance"), store.get("safety")
    for market in (lending.swk, lending.stswk):
        market.supply.update(values())
        market.debt.update(values())
    governance.balances.update(values())
    governance.latest_proposal.update(values())
    if checkpoints:  # each holder its own delegatee, with one checkpoint (what record_balance_change leaves)
        governance.checkpoints.update({u: (Checkpoint(1, b),) for u, b in governance.balances.items()})
        governance.total_checkpoints.append(Checkpoint(1, sum(governance.balances.values())))
        lending.users.update({u: UserConfig(emode=True) for u in users})
    for vault in (safety.swk, safety.stswk):
        vault.user_index.update(values())
        vault.accrued.update(values())
        vault.cooldowns.update(values())

    def lend(i: int) -> None:
        lending.swk.supply[users[i]] += 1
        lending.swk.debt[users[i]] += 1

    def govern(i: int) -> None:
        governance.balances[users[i]] += 1
        governance.latest_proposal[users[i]] += 1

    def vote_power(i: int) -> None:  # a staked balance reported: balances, and a checkpoint (summary, whole)
        record_balance_change(governance, 2 + i, users[i], governance.balances[users[i]] + 1)

    def delegation(i: int) -> None:  # votes move: the delegator's record, both delegatees' checkpoints
        delegate(governance, 2 + i, users[i], users[-1 - i])

    def settings(i: int) -> None:  # one lending user's settings replaced (a record)
        lending.users[users[i]] = UserConfig(emode=bool(i % 2), collateral_off=("swk",))

    def stake(i: int) -> None:
        safety.swk.user_index[users[i]] += 1
        safety.swk.accrued[users[i]] += 1

    writes = {
        "lending user (supply and debt)": lend,
        "governance user (balance and latest proposal)": govern,
        "safety user (index and accrued)": stake,
        "governance voting power (balance and a checkpoint)": vote_power,
    }
    if checkpoints:
        writes["governance delegation (a delegate and two checkpoints)"] = delegation
        writes["lending user's settings (a record)"] = settings
    return writes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--checkpoints",
        action="store_true",
        help="also fill the record tables: a checkpoint for every governance user, settings for every lending user",
    )
    args = parser.parse_args()
    if args.users > 200_000:
        parser.error("at most 200,000 users on a shared machine")
    rng = np.random.default_rng(16)
    store = ModuleStore({m.name: m.genesis(DEVNET, ADMIN) for m in registry.modules()})
    writes = _fill(store, _users(args.users, rng), rng, args.checkpoints)
    tree = ModuleTree()
    start = time.perf_counter()
    tree.update(store)
    first = time.perf_counter() - start
    with_checkpoints = " (and governance's checkpoints and lending's user settings)" if args.checkpoints else ""
    print(f"{args.users:,} users in each per-user map of lending, governance and safety{with_checkpoints}")
    print(f"  first root (every table built): {first * 1000:.0f} ms")
    for name, write in writes.items():
        times: list[float] = []
        for run in range(args.runs):
            write(run)
            start = time.perf_counter()
            tree.update(store)
            times.append(time.perf_counter() - start)
        print(f"  root after one {name} changed: median {statistics.median(times) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
