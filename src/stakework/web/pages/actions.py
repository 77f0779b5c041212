"""Actions a staker takes — send, stake for stSWK, wrap and unwrap, request and claim a withdrawal, deposit in a
pool — signed in the browser (`static/actions.js`): the key never leaves the page, the node sees only the signed
transaction, and submitting needs the node's bearer token (docs/web.md, "Actions and the threat model").

The forms are described here from the message classes themselves (tag and fields in declaration order, which is
the order of the canonical encoding); the script builds the canonical encoding from that description, computes
the chain id from `/eth/v1/beacon/genesis` and signs with WebCrypto's Ed25519."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import msgspec

from stakework.transition.block import transaction as txmod
from stakework.web.app import Body
from stakework.web.html import Markup, PageContext, join, tag


@dataclass(frozen=True)
class Action:
    """One form: its message class, its title key, the module it needs (None: always) and which integer fields are
    amounts of SWK (typed in SWK, sent in Gwei)."""

    cls: type[Any]
    title: str
    module: str | None
    swk_fields: tuple[str, ...] = ("amount",)
    unit: str = "SWK"
    """The token the amount is of (9 decimals, like SWK)."""


def _actions() -> list[Action]:
    from stakework.modules.governance import messages as gm
    from stakework.modules.liquid import messages as lm
    from stakework.modules.pool import messages as pm

    return [
        Action(txmod.Transfer, "actions.send", None),
        Action(lm.Stake, "actions.liquid_stake", "liquid"),
        Action(lm.Wrap, "actions.wrap", "liquid", unit="stSWK"),
        Action(lm.Unwrap, "actions.unwrap", "liquid", unit="wstSWK"),
        Action(lm.RequestWithdrawal, "actions.liquid_request", "liquid", unit="stSWK"),
        Action(lm.Claim, "actions.liquid_claim", "liquid", ()),
        Action(pm.Deposit, "actions.pool_deposit", "pool"),
        Action(pm.RequestWithdrawal, "actions.pool_request", "pool", ()),
        Action(pm.Claim, "actions.pool_claim", "pool", ()),
        Action(gm.CastVote, "actions.vote", "governance", ()),  # shown once the governance module is enabled
    ]


def _kind(field: Any, swk: tuple[str, ...]) -> str:
    """How the script encodes a field: `bytes20`, `swk` (decimal SWK → Gwei), `uint`."""
    annotation = str(field.type)
    if "Bytes20" in annotation or "bytes" in annotation:
        return "bytes20"
    return "swk" if field.name in swk else "uint"


def _tag(cls: type[Any]) -> str:
    info = msgspec.inspect.type_info(cls)
    tag_value = getattr(info, "tag", None)
    return str(tag_value)


def actions_page(ctx: PageContext, view: Any) -> Body:
    """The key and token boxes, then one form per action the chain can take."""
    m = ctx.m
    with view.lock:
        state = view.chain.head_state
        enabled = set(state.modules.enabled())
        preset = state.preset
    forms = []
    for action in _actions():
        if action.module is not None and action.module not in enabled:
            continue
        fields = [(f.name, _kind(f, action.swk_fields)) for f in msgspec.structs.fields(action.cls)]
        sample = action.cls(**{name: (b"\x00" * 20 if kind == "bytes20" else 1) for name, kind in fields})
        fee = txmod.least_fee(sample, preset)
        inputs = []
        for name, kind in fields:
            field_id = f"{_tag(action.cls)}-{name}".replace(".", "-")
            label = m.t(f"actions.field_{name}") + (f" ({action.unit})" if kind == "swk" else "")
            placeholder = "0x…" if kind == "bytes20" else ("1.5" if kind == "swk" else "0")
            inputs.append(
                tag(
                    "p",
                    tag("label", label, for_=field_id),
                    tag("input", id=field_id, name=name, required=True, placeholder=placeholder,
                        inputmode="text" if kind == "bytes20" else "decimal"),
                )
            )  # fmt: skip
        forms.append(
            tag(
                "form",
                tag("h2", m.t(action.title)),
                *inputs,
                tag("p", tag("button", m.t("actions.sign_send"), type="submit")),
                tag("p", "", cls="result", role="status", aria_live="polite"),
                cls="action",
                data_tag=_tag(action.cls),
                data_fields=json.dumps(fields),
                data_fee=str(fee),
            )
        )
    key_box = tag(
        "section",
        tag("h2", m.t("actions.key")),
        tag("p", m.t("actions.key_help"), cls="note"),
        tag("p", tag("label", m.t("actions.seed"), for_="seed"),
            tag("input", id="seed", type="password", autocomplete="off", size="70", placeholder="0x…")),
        tag("p", tag("label", m.t("actions.token"), for_="token"),
            tag("input", id="token", type="password", autocomplete="off", size="50")),
        tag("p", tag("button", m.t("actions.load"), type="button", id="load-key")),
        tag("p", "", id="key-status", role="status", aria_live="polite"),
        cls="key-box",
        data_chain_domain=txmod.CHAIN_ID_DOMAIN.hex(),
        data_tx_domain=txmod.TX_DOMAIN.hex(),
        data_loaded=m.t("actions.loaded"),
        data_sent=m.t("actions.sent"),
        data_no_key=m.t("actions.no_key"),
    )  # fmt: skip
    body = join([tag("p", m.t("actions.intro")), key_box, tag("div", Markup("".join(forms)), cls="action-grid")])
    return m.t("actions.title"), body, ("/static/actions.js",)
