"""The one share ledger behind the pool, the liquid token and (later) the safety module.

A holder owns ``shares``; the owner module says how many ``total_assets`` (Gwei) back all the shares. One share
is worth ``total_assets / total_shares``. Every conversion names its rounding and favours the protocol:

- deposit: ``shares = floor(assets * total_shares / total_assets)`` (ERC-4626 ``previewDeposit``; Lido
  ``StETH.getSharesByPooledEth``); a deposit that would mint 0 shares is refused, not swallowed;
- withdrawal: ``assets = floor(shares * total_assets / total_shares)`` (ERC-4626 ``previewRedeem``; Lido
  ``StETH.getPooledEthByShares``);
- :meth:`ShareLedger.convert_to_shares` / :meth:`ShareLedger.convert_to_assets` take the direction explicitly,
  e.g. "shares needed to pay X" rounds UP.

First-depositor inflation defence: **dead shares** (Lido ``Lido._bootstrapInitialHolder`` locks the first
shares at ``0xdead``; Uniswap V2 ``MINIMUM_LIQUIDITY``). The first deposit into an empty ledger mints
``dead_shares`` (default 10**6 = 0.001 SWK) to :data:`BURN_ADDRESS`, out of the depositor's own assets, at a
1:1 price. Those shares can never be redeemed, so ``total_shares >= dead_shares`` forever. Why dead shares and
not the ERC-4626 virtual offset (OpenZeppelin ``_decimalsOffset``):

- the attack needs a tiny share supply; with ``d`` dead shares an attacker who donates ``X`` raises one share's
  value by at most ``X / d`` and pays ``X * d / (d + own shares)`` of the donation to the dead shares (at the
  minimum first deposit, essentially all of ``X``). A victim loses less than one share's value (< ``X / d``),
  and never everything, because a deposit that mints 0 shares is refused;
- the ledger stays a plain token: ``sum(holder shares) == total_shares`` and ``shares * total_assets /
  total_shares`` is the real balance, which is exactly what stSWK's rebasing balance must be (a virtual offset
  would make balances differ from the ledger by the virtual share's cut);
- a virtual offset of 10**k multiplies every share count by 10**k, and share counts must stay in uint64 (the
  state root encodes them as such) for a supply of up to ~10**18 Gwei.

The dead shares' value (0.001 SWK plus its rewards) stays in the module forever: a cost to the first depositor,
in the protocol's favour.
"""

from __future__ import annotations

import functools
import itertools
from enum import Enum
from typing import Any, ClassVar

import msgspec
import msgspec.inspect as mi

from stakework.modules.arith import Rounding, mul_div
from stakework.modules.errors import AboveMaximum, BelowMinimum, Insolvent, InsufficientShares

BURN_ADDRESS = bytes.fromhex("000000000000000000000000000000000000dead")
"""Holder of the dead shares; nobody can sign for it, so nothing can ever move or redeem them."""
MAX_SHARES = 2**64 - 1
"""The most shares a ledger may hold in total: the canonical encoding (msgpack, hashed into the state root) holds
unsigned 64-bit integers. Only a price per share fallen near zero (a ledger almost wiped out) could get there:
deposits that would pass it are refused, a fee mint that would is skipped."""
DEFAULT_DEAD_SHARES = 10**6
MAX_HOLDER_VALUE = 2**64 - 1
"""The largest value a holder table holds (its commitment stores each as 8 bytes: `state/commitment.py:
ShareTree`)."""


class ShareMap(dict[bytes, int]):
    """A holder table (holder -> an unsigned 64-bit integer: a ledger's shares, a user's scaled supply, balance,
    index...; see :class:`HolderTables`): a dict that notes the holders written through it, so the state commitment
    re-hashes only their buckets (`state/commitment.py: ShareTree`) however the table was written (the owner's
    methods, a host service, a handler, a test writing it directly).

    Every mutator notes its keys: ``[k] = v``, ``del``, ``pop``, ``popitem``, ``setdefault``, ``update``, ``|=``,
    ``clear``. Holders are noted only while a commitment tree follows the table (`follow`): a tree that starts
    following rebuilds from the whole table, so nothing needs noting before. Reads are plain dict reads; a copy
    (``dict(m)``, ``m.copy()``) is a plain dict and notes nothing; a pickled or deep-copied table follows no tree."""

    __slots__ = ("_owner", "_touched")
    _owner: object
    """The token of the commitment tree that follows this table (None: no tree; nothing is noted)."""
    _touched: set[bytes]
    """Holders written since that tree last looked."""

    def __new__(cls, *args: Any, **kwargs: Any) -> ShareMap:  # set here: copy and pickle skip __init__
        self = super().__new__(cls, *args, **kwargs)
        self._owner = None
        self._touched = set()
        return self

    def __setitem__(self, key: bytes, value: int) -> None:
        super().__setitem__(key, value)
        if self._owner is not None:
            self._touched.add(key)

    def __delitem__(self, key: bytes) -> None:
        super().__delitem__(key)
        if self._owner is not None:
            self._touched.add(key)

    def pop(self, key: bytes, *default: Any) -> Any:
        if self._owner is not None and key in self:
            self._touched.add(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[bytes, int]:
        key, value = super().popitem()
        if self._owner is not None:
            self._touched.add(key)
        return key, value

    def setdefault(self, key: bytes, default: Any = None) -> Any:
        if self._owner is not None and key not in self:
            self._touched.add(key)
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        other = dict(*args, **kwargs)
        super().update(other)
        if self._owner is not None:
            self._touched.update(other)

    def __ior__(self, other: Any) -> ShareMap:  # type: ignore[override,misc]
        self.update(other)
        return self

    def clear(self) -> None:
        if self._owner is not None:
            self._touched.update(self)
        super().clear()

    def __reduce__(self) -> tuple[type[ShareMap], tuple[dict[bytes, Any]]]:
        # copy.copy, copy.deepcopy and pickle give a table that no tree follows (nothing noted, nothing shared)
        return type(self), (dict(self),)

    # -- for the state commitment (state/commitment.py) ------------------------------------------------------
    def take_touched(self, token: object) -> set[bytes] | None:
        """The holders written since the tree holding `token` last asked, forgetting them; None when another tree
        (or none) followed this table until now: the caller rebuilds, and follows it from now on."""
        if self._owner is not token:
            self._owner, self._touched = token, set()
            return None
        touched, self._touched = self._touched, set()
        return touched

    def followed_by(self, token: object) -> bool:
        return self._owner is token

    def follow(self, token: object, touched: set[bytes]) -> None:
        """From now on the tree holding `token` follows this table, with `touched` written since it last looked
        (a copy of a followed table: the source's pending holders)."""
        self._owner, self._touched = token, set(touched)

    def pending(self) -> set[bytes]:
        """The holders written since the following tree last looked (a copy)."""
        return set(self._touched)


_SCALARS = frozenset({int, bool, bytes, str, float, type(None)})
"""Types whose values cannot change (enums too: checked with isinstance)."""


@functools.cache
def _trusted_struct(cls: type) -> bool:
    """A frozen struct whose fields are all declared immutable (so its values are immutable as msgspec builds
    them): its instances are taken without looking inside."""
    info = mi.type_info(cls)
    return (
        isinstance(info, mi.StructType)
        and info.cls.__struct_config__.frozen
        and all(immutable_type(f.type) for f in info.fields)
    )


def immutable_type(t: mi.Type) -> bool:
    """Whether every value of the declared type `t` is immutable all the way down (what a record table's values
    are declared as: scalars, enums, tuples of such, frozen structs of such)."""
    if isinstance(t, mi.IntType | mi.BoolType | mi.BytesType | mi.StrType | mi.FloatType | mi.NoneType):
        return True
    if isinstance(t, mi.EnumType | mi.LiteralType):
        return True
    if isinstance(t, mi.VarTupleType | mi.FrozenSetType):
        return immutable_type(t.item_type)
    if isinstance(t, mi.TupleType):
        return all(immutable_type(i) for i in t.item_types)
    if isinstance(t, mi.UnionType):
        return all(immutable_type(i) for i in t.types)
    if isinstance(t, mi.StructType):
        return _trusted_struct(t.cls)
    return False


def _immutable(value: object) -> bool:
    """Whether `value` cannot change in place, looked into all the way down (a frozen struct built by hand can hold
    a list its declaration does not allow)."""
    t = type(value)
    if t in _SCALARS or isinstance(value, Enum):
        return True
    if t is tuple or t is frozenset:
        return all(map(_immutable, value))  # type: ignore[call-overload]
    if isinstance(value, msgspec.Struct):
        cls = type(value)
        return cls.__struct_config__.frozen and all(_immutable(getattr(value, f)) for f in cls.__struct_fields__)
    return False


def _all_immutable(values: Any) -> bool:
    """`_immutable` for each of `values` (a whole table: decoded, copied), at C speed for the common shapes: every
    value of a trusted type (a frozen struct whose declaration allows nothing mutable: as msgspec decodes it), or
    tuples whose items are."""
    values = list(values)
    types = set(map(type, values))
    if types <= _SCALARS or all(issubclass(t, msgspec.Struct) and _trusted_struct(t) for t in types):
        return True
    if types == {tuple}:
        items = set(map(type, itertools.chain.from_iterable(values)))
        if items <= _SCALARS or all(issubclass(t, msgspec.Struct) and _trusted_struct(t) for t in items):
            return True
    return all(map(_immutable, values))


class MutableRecord(TypeError):
    """A value written into a record table that could change in place (a list, dict, bytearray, a struct that is
    not frozen...): the table would not see that change, so the state commitment would miss it."""


class RecordMap(ShareMap):
    """A record table (holder -> an immutable record: a delegatee, a tuple of checkpoints, a frozen struct; see
    :class:`HolderTables`): a :class:`ShareMap` (it notes the holders written through it) that refuses, when it is
    written, a value that could change in place (:class:`MutableRecord`), since a change made inside a value is no
    write the table sees. Modules replace a record (``msgspec.structs.replace``, a new tuple), never edit it."""

    __slots__ = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not _all_immutable(self.values()):
            holder, value = next((h, v) for h, v in self.items() if not _immutable(v))
            raise MutableRecord(_refusal(holder, value))

    def __setitem__(self, key: bytes, value: Any) -> None:
        if not _immutable(value):
            raise MutableRecord(_refusal(key, value))
        super().__setitem__(key, value)

    def setdefault(self, key: bytes, default: Any = None) -> Any:
        if key not in self and not _immutable(default):
            raise MutableRecord(_refusal(key, default))
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        other = dict(*args, **kwargs)
        if not all(map(_immutable, other.values())):
            holder, value = next((h, v) for h, v in other.items() if not _immutable(v))
            raise MutableRecord(_refusal(holder, value))
        super().update(other)


def record_table() -> dict[bytes, Any]:
    """An empty :class:`RecordMap`, typed for any record (a record table field's ``default_factory``)."""
    return RecordMap()


def _refusal(holder: object, value: object) -> str:
    shown = f"0x{holder.hex()}" if isinstance(holder, bytes) else repr(holder)
    return (
        f"holder {shown}: a record table holds immutable values only (tuples, frozen structs, scalars), got a "
        f"{type(value).__name__}; replace the record (a new tuple, msgspec.structs.replace) instead of editing it"
    )


class HolderTables(msgspec.Struct):
    """Base of a module state struct whose per-holder maps are committed as holder tables: each field named in
    :attr:`holder_tables` (declared ``dict[bytes, int]``, default ``ShareMap``) or in :attr:`record_tables`
    (declared ``dict[bytes, T]`` with ``T`` immutable all the way down: bytes, a tuple of frozen structs, a frozen
    struct...; default ``RecordMap``) is committed as its own bucketed tree (`state/commitment.py: ShareTree`,
    `RecordTree`; `modules/store.py: part_summary` puts the tree's root in its place), so a block that writes one
    holder re-hashes that holder's bucket, not the map.

    Such a field always holds a :class:`ShareMap` (a :class:`RecordMap` for a record table): a plain dict given to
    the constructor, decoded or converted by msgspec (snapshots), or assigned later is wrapped (a dict subclass is
    kept as given: a test's instrumented table, which the commitment then hashes whole each time, as it cannot see
    its writes). A table's holders are bytes of at most 255 (addresses); an integer table's values are unsigned
    64-bit integers (what the store's msgpack encoding holds anyway), a record table's immutable (a value that
    could change in place is refused when written: :class:`MutableRecord`): the commitment refuses anything else."""

    holder_tables: ClassVar[tuple[str, ...]] = ()
    """The fields committed as integer holder tables."""
    record_tables: ClassVar[tuple[str, ...]] = ()
    """The fields committed as record tables. Both kinds are met in declaration order (the commitment pairs a copy's
    tables with the source's in that order)."""

    def __post_init__(self) -> None:  # also run when msgspec decodes or converts, and by msgspec.structs.replace
        for name in (*self.holder_tables, *self.record_tables):
            value = getattr(self, name, None)
            if value is None:
                kind, what = (
                    ("holder_tables", "dict[bytes, int]") if name in self.holder_tables else ("record_tables", "dict")
                )
                raise TypeError(f"{type(self).__name__}.{kind} names {name!r}, which is no {what} field")
            if type(value) is dict:
                msgspec.Struct.__setattr__(self, name, self._wrap(name, value))

    def __setattr__(self, name: str, value: Any) -> None:
        if type(value) is dict and (name in self.holder_tables or name in self.record_tables):
            value = self._wrap(name, value)
        msgspec.Struct.__setattr__(self, name, value)

    def _wrap(self, name: str, table: dict[bytes, Any]) -> ShareMap:
        """`table` as a ShareMap (a RecordMap for a record table), once checked: a holder table read from a snapshot
        or a peer's state with an entry the commitment cannot hold is refused here (msgspec reports a ValueError
        raised while decoding as a ValidationError at the struct's path), not when the state is first hashed."""
        records = name in self.record_tables
        try:  # at C speed (~30 ms at a million holders); an entry is looked for only if one is bad
            bad = bool(table) and (
                max(map(len, table)) > 255
                or (not records and (min(table.values()) < 0 or max(table.values()) > MAX_HOLDER_VALUE))
            )
        except TypeError:
            bad = True
        ok = _record_holder_ok if records else _holder_entry_ok
        found = next(((h, v) for h, v in table.items() if not ok(h, v)), None) if bad else None
        if found is not None:
            holder, value = found
            shown = f"0x{holder[:32].hex()} ({len(holder)} bytes)" if isinstance(holder, bytes) else repr(holder)
            what = "records" if records else "unsigned 64-bit integers"
            raise ValueError(
                f"{type(self).__name__}.{name}: holder {shown} holds {value!r}; a holder table maps holders (bytes, at "
                f"most 255) to {what}"
            )
        if records:
            try:
                return RecordMap(table)
            except MutableRecord as exc:
                raise ValueError(f"{type(self).__name__}.{name}: {exc}") from None
        return ShareMap(table)


def _record_holder_ok(holder: object, value: object) -> bool:
    return isinstance(holder, bytes) and len(holder) <= 255


def _holder_entry_ok(holder: object, value: object) -> bool:
    return (
        isinstance(holder, bytes)
        and len(holder) <= 255
        and isinstance(value, int)
        and not isinstance(value, bool)
        and 0 <= value <= MAX_HOLDER_VALUE
    )


class ShareLedger(HolderTables, kw_only=True):
    """Shares per holder and the assets behind them (owner-supplied). Mutated only through its methods.

    ``shares`` is a holder table (:class:`HolderTables`): always a :class:`ShareMap`, so the state commitment sees
    every write to it."""

    holder_tables = ("shares",)

    shares: dict[bytes, int] = msgspec.field(default_factory=ShareMap)
    total_shares: int = 0
    total_assets: int = 0
    dead_shares: int = DEFAULT_DEAD_SHARES

    # --- views -------------------------------------------------------------------------------------------------
    def shares_of(self, holder: bytes) -> int:
        """Shares held by ``holder`` (0 if none)."""
        return self.shares.get(holder, 0)

    def convert_to_shares(self, assets: int, rounding: Rounding) -> int:
        """Shares worth ``assets`` at the current price, rounded as asked (1:1 on an empty ledger)."""
        if self.total_shares == 0:
            return assets
        if self.total_assets == 0:
            raise Insolvent("the ledger's shares are backed by no assets; nothing can be priced")
        return mul_div(assets, self.total_shares, self.total_assets, rounding)

    def convert_to_assets(self, shares: int, rounding: Rounding) -> int:
        """Assets ``shares`` are worth at the current price, rounded as asked (1:1 on an empty ledger)."""
        if self.total_shares == 0:
            return shares
        return mul_div(shares, self.total_assets, self.total_shares, rounding)

    def assets_of(self, holder: bytes) -> int:
        """What ``holder``'s shares redeem for now (rounded down)."""
        return self.convert_to_assets(self.shares_of(holder), Rounding.DOWN)

    # --- owner-module bookkeeping --------------------------------------------------------------------------------
    def add_assets(self, amount: int) -> None:
        """The owner's assets grew by ``amount`` with no new shares (rewards, donations): the price rises."""
        self.total_assets += amount

    def remove_assets(self, amount: int) -> None:
        """The owner's assets shrank by ``amount`` (penalties, slashing): the price falls, pro rata for all."""
        self.total_assets -= min(amount, self.total_assets)

    def set_total_assets(self, amount: int) -> None:
        """The owner recomputed its assets (e.g. buffer + validator balances each epoch)."""
        if amount < 0:
            raise ValueError("total assets cannot be negative")
        self.total_assets = amount

    # --- share movements -----------------------------------------------------------------------------------------
    def _mint(self, holder: bytes, shares: int) -> None:
        if shares:
            self.shares[holder] = self.shares.get(holder, 0) + shares
            self.total_shares += shares

    def _burn(self, holder: bytes, shares: int) -> None:
        if shares == 0:
            return
        held = self.shares.get(holder, 0)
        if shares > held:
            raise InsufficientShares(f"holder has {held} shares, {shares} requested")
        if held == shares:
            del self.shares[holder]
        else:
            self.shares[holder] = held - shares
        self.total_shares -= shares

    def preview_deposit(self, assets: int) -> int:
        """Shares :meth:`mint_for_deposit` would give ``holder`` for ``assets`` (0 means it would be refused);
        raises :class:`AboveMaximum` if they would take the total past :data:`MAX_SHARES`, so a handler that
        previews before it moves money refuses such a deposit while nothing has changed."""
        if self.total_shares == 0:
            return max(assets - self.dead_shares, 0)
        minted = self.convert_to_shares(assets, Rounding.DOWN)
        self._check_room(minted)
        return minted

    def _check_room(self, minted: int) -> None:
        if self.total_shares + minted > MAX_SHARES:
            raise AboveMaximum(
                f"minting {minted} shares would take the total past 2^64 - 1 (the price per share has fallen too far "
                "after losses): the ledger takes no such deposit"
            )

    def mint_for_deposit(self, holder: bytes, assets: int) -> int:
        """``holder`` adds ``assets``; returns the shares minted, rounded down (ERC-4626 ``deposit``).

        The first deposit into an empty ledger mints ``dead_shares`` to :data:`BURN_ADDRESS` out of ``assets``
        (Lido ``_bootstrapInitialHolder``) and must exceed them. A deposit that would mint 0 shares is refused
        with :class:`BelowMinimum`, so a donation can make a deposit fail but never swallow it.
        """
        if assets <= 0:
            raise BelowMinimum("deposit must be positive")
        if self.total_shares == 0:
            if assets <= self.dead_shares:
                raise BelowMinimum(
                    f"the first deposit must exceed the {self.dead_shares} base units locked as dead shares"
                )
            # Assets already held (a donation before any share) go to the first depositor and the dead shares.
            self._mint(BURN_ADDRESS, self.dead_shares)
            minted = assets - self.dead_shares
        else:
            minted = self.convert_to_shares(assets, Rounding.DOWN)
            if minted == 0:
                raise BelowMinimum(f"{assets} base units buy less than one share at the current price")
            self._check_room(minted)
        self._mint(holder, minted)
        self.total_assets += assets
        return minted

    def burn_for_withdrawal(self, holder: bytes, shares: int) -> int:
        """``holder`` redeems ``shares``; returns the assets they are worth, rounded down (ERC-4626 ``redeem``)."""
        if shares <= 0:
            raise BelowMinimum("withdrawal must burn a positive number of shares")
        if shares > self.shares_of(holder):
            # equivalent mutant (delete raise): _burn below raises the same error before anything has changed
            raise InsufficientShares(f"holder has {self.shares_of(holder)} shares, {shares} requested")
        assets = self.convert_to_assets(shares, Rounding.DOWN)
        self._burn(holder, shares)
        self.total_assets -= assets
        return assets

    def burn(self, holder: bytes, shares: int) -> None:
        """Burn ``shares`` without paying anything (their value accrues to the remaining holders)."""
        self._burn(holder, shares)

    def mint_fee_shares(self, holder: bytes, fee_assets: int) -> int:
        """Mint shares worth ``fee_assets`` *after* minting, out of assets already in ``total_assets``.

        Lido ``Lido._distributeFee``: ``shares = fee * S / (A - fee)``, rounded down, so the fee dilutes the
        other holders by at most ``fee_assets``. Returns the shares minted (0, no fee, if they would take the
        total past :data:`MAX_SHARES`).
        """
        # equivalent mutant (cmp <= to <): a fee of 0 goes on to mint floor(0) = 0 shares and return 0
        # equivalent mutant (const 0 to -1): a fee of 0, or a ledger of 0 shares, goes on to mint 0 shares
        if fee_assets <= 0 or self.total_shares == 0 or fee_assets >= self.total_assets:
            return 0
        minted = mul_div(fee_assets, self.total_shares, self.total_assets - fee_assets, Rounding.DOWN)
        if self.total_shares + minted > MAX_SHARES:
            return 0  # no fee this epoch rather than a total the canonical encoding cannot hold
        self._mint(holder, minted)
        return minted

    def transfer(self, sender: bytes, recipient: bytes, shares: int) -> None:
        """Move ``shares`` from ``sender`` to ``recipient`` (Lido ``StETH._transferShares``)."""
        if shares < 0:
            raise BelowMinimum("cannot transfer a negative number of shares")
        if sender == BURN_ADDRESS:
            raise InsufficientShares("dead shares cannot move")
        self._burn(sender, shares)
        self._mint(recipient, shares)

    def check(self) -> list[str]:
        """Ledger invariants: holder shares sum to the total, nothing negative, dead shares stay locked."""
        problems: list[str] = []
        if sum(self.shares.values()) != self.total_shares:
            problems.append(f"holder shares sum to {sum(self.shares.values())}, total is {self.total_shares}")
        if any(v <= 0 for v in self.shares.values()):
            problems.append("a holder entry is zero or negative")
        if self.total_assets < 0:
            problems.append(f"total assets negative: {self.total_assets}")
        if self.total_shares and self.shares.get(BURN_ADDRESS, 0) < self.dead_shares:
            problems.append("dead shares were moved or burned")
        return problems
