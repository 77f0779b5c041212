"""The lending module's definition: what the registry (:mod:`stakework.modules.registry`) knows about it.

It consumes three host services (:mod:`.protocols`): ``staked_token_ledger`` (the liquid module), ``amm_oracle``
(the AMM, optional) and ``shortfall_cover`` (the safety module, which must list the lending module's account among
its authorised slashers: ``safety.authorize_slasher`` from its governance executor). It provides none."""

from __future__ import annotations

from typing import Any

from stakework.modules.definition import ModuleDef, Param
from stakework.modules.lending import MODULE, epoch, handlers, invariants, queries
from stakework.modules.lending.messages import Liquidate, Repay, Supply
from stakework.modules.lending.parameters import BOUNDS, with_changes
from stakework.modules.lending.state import LendingState, new_state
from stakework.spec.presets import Preset


def spends(message: Any) -> int:
    """SWK a message takes from the sender: a supply or repayment to the SWK market, or a liquidation repaying SWK
    debt (at most its amount; an open-ended liquidation is not budgeted)."""
    if isinstance(message, (Supply, Repay)) and message.market == "swk":
        return int(message.amount)
    if isinstance(message, Liquidate) and message.debt_market == "swk" and message.amount is not None:
        return int(message.amount)
    return 0


def genesis(preset: Preset, admin: bytes) -> LendingState:
    """Empty SWK and stSWK markets with the default (Aave-like) parameters; ``admin`` (devnet account 0) is the
    governance executor and the treasury."""
    return new_state(preset, governance=admin, treasury=admin)


def read_param(state: LendingState, name: str) -> int:
    value: int = getattr(state.params, name)
    return value


def write_param(state: LendingState, name: str, value: int) -> None:
    """Replace the parameters with ``name`` changed (bounds and combinations checked, as ``lending.set_parameters``)."""
    state.params = with_changes(state.params, **{name: value})


def summary(state: LendingState) -> dict[str, int]:
    borrowers = set(state.swk.debt) | set(state.stswk.debt)
    return {
        "swk_supplied": state.swk.total_supply(),
        "swk_borrowed": state.swk.total_debt(),
        "stswk_supplied": state.stswk.total_supply(),
        "stswk_borrowed": state.stswk.total_debt(),
        "borrowers": len(borrowers),
        "deficit_swk": state.swk.deficit,
        "deficit_stswk": state.stswk.deficit,
        "bad_debts": len(state.bad_debts),
    }


def describe(s: dict[str, int]) -> str:
    return (
        f"lending: SWK {s['swk_supplied'] / 1e9:,.3f} supplied / {s['swk_borrowed'] / 1e9:,.3f} borrowed, stSWK "
        f"{s['stswk_supplied'] / 1e9:,.3f} / {s['stswk_borrowed'] / 1e9:,.3f} (shares), {s['borrowers']} borrowers, "
        f"deficit {s['deficit_swk'] / 1e9:,.3f} SWK + {s['deficit_stswk'] / 1e9:,.3f} stSWK, "
        f"{s['bad_debts']} bad debts"
    )


LENDING = ModuleDef(
    name=MODULE,
    tag_prefix="lend",
    state_type=LendingState,
    messages=tuple(handlers.HANDLERS),
    dispatch=handlers.dispatch,
    on_epoch=epoch.on_epoch,
    invariants=invariants.check,
    genesis=genesis,
    spends=spends,
    queries=queries,
    summary=summary,
    describe=describe,
    params=tuple(Param(name, bound.min, bound.max, bound.doc) for name, bound in BOUNDS.items()),
    read_param=read_param,
    write_param=write_param,
    api_router="stakework.api.modules.lending:router",
    cli_app="stakework.cli.modules.lending:app",
    web_page="stakework.web.modules.lending:PAGE",
)
"""The lending module: SWK and stSWK markets with Aave v3's indices, rate curve, e-mode and liquidations, bad debt
covered by the safety module (docs/modules.md, "Lending module"). Its message tags and commands are ``lend.*`` and
``stakework lend``, as governance's are ``gov.*``."""
