"""Typed, frozen presets: `mainnet` (Ethereum Electra), `minimal` (the reference spec's minimal preset) and
`devnet` (fast, for a chain on one machine). Custom presets override a base preset from a TOML or YAML file.

Field names are the specification's own (preset and configuration variables merged), so a value can be checked
against `consensus-specs/presets/*/*.yaml` and `configs/*.yaml` by eye. Where Electra reads a fork-suffixed
variable (`MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA`), that is the name used here; the superseded phase0 values are
not kept.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from stakework.spec.errors import StakeworkError
from stakework.spec.types import GWEI_PER_SWK


class PresetError(StakeworkError):
    """A preset name is unknown or a preset file has an unknown key or an impossible value."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Preset:
    """Every protocol constant the chain reads. Amounts in Gwei, durations in slots or epochs."""

    PRESET_NAME: str
    """Name shown in snapshots and logs."""
    PRESET_BASE: str
    """`mainnet` or `minimal`: the reference preset this one derives from (devnet derives from minimal)."""

    # -- time ---------------------------------------------------------------------------------------------
    SLOT_DURATION_MS: int
    """Milliseconds per slot (Ethereum: 12,000)."""
    SLOTS_PER_EPOCH: int
    """Slots in an epoch; epoch processing runs at each boundary."""
    MIN_SEED_LOOKAHEAD: int
    """Epochs between a RANDAO mix and the committees it seeds."""
    MAX_SEED_LOOKAHEAD: int
    """Epochs an exit or activation is delayed (`compute_activation_exit_epoch`)."""
    MIN_EPOCHS_TO_INACTIVITY_PENALTY: int
    """Epochs without finality before the inactivity leak starts."""
    MIN_VALIDATOR_WITHDRAWABILITY_DELAY: int
    """Epochs between exit and withdrawability for an unslashed validator."""
    SHARD_COMMITTEE_PERIOD: int
    """Epochs a validator must have been active before it may exit voluntarily."""
    MIN_ATTESTATION_INCLUSION_DELAY: int
    """Slots before an attestation can be included."""

    # -- state list lengths -------------------------------------------------------------------------------
    SLOTS_PER_HISTORICAL_ROOT: int
    """Length of the block_roots and state_roots ring buffers."""
    EPOCHS_PER_HISTORICAL_VECTOR: int
    """Length of the randao_mixes ring buffer."""
    EPOCHS_PER_SLASHINGS_VECTOR: int
    """Length of the slashings ring buffer; correlation penalties apply at half of it."""

    # -- committees ---------------------------------------------------------------------------------------
    MAX_COMMITTEES_PER_SLOT: int
    TARGET_COMMITTEE_SIZE: int
    MAX_VALIDATORS_PER_COMMITTEE: int
    SHUFFLE_ROUND_COUNT: int
    """Rounds of the swap-or-not shuffle."""

    # -- balances (Gwei) ----------------------------------------------------------------------------------
    MIN_DEPOSIT_AMOUNT: int
    """Smallest deposit accepted."""
    MIN_ACTIVATION_BALANCE: int
    """Effective balance needed to become eligible for activation; cap for 0x00/0x01 credentials."""
    MAX_EFFECTIVE_BALANCE_ELECTRA: int
    """Effective-balance cap for compounding (0x02) credentials (EIP-7251)."""
    EFFECTIVE_BALANCE_INCREMENT: int
    """Effective balances are multiples of this."""
    EJECTION_BALANCE: int
    """Effective balance at or below which an active validator is ejected."""
    HYSTERESIS_QUOTIENT: int
    HYSTERESIS_DOWNWARD_MULTIPLIER: int
    HYSTERESIS_UPWARD_MULTIPLIER: int

    # -- rewards and penalties ----------------------------------------------------------------------------
    BASE_REWARD_FACTOR: int
    """Scales the base reward per increment: factor × increment / √(total active balance)."""
    WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA: int
    """Whistleblower reward = effective balance / this."""
    PROPOSER_REWARD_QUOTIENT: int
    MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA: int
    """Initial slashing penalty = effective balance / this."""
    PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX: int
    """Correlation penalty multiplier on the sum of recent slashings."""
    INACTIVITY_PENALTY_QUOTIENT_BELLATRIX: int
    """Inactivity penalty = effective balance × score / (bias × this)."""
    INACTIVITY_SCORE_BIAS: int
    INACTIVITY_SCORE_RECOVERY_RATE: int

    # -- churn (Gwei per epoch) ---------------------------------------------------------------------------
    MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA: int
    MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT: int
    CHURN_LIMIT_QUOTIENT: int
    """Balance churn = total active balance / this, floored at the minimum, rounded to an increment."""

    # -- queues -------------------------------------------------------------------------------------------
    MAX_PENDING_DEPOSITS_PER_EPOCH: int
    MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP: int
    MAX_WITHDRAWALS_PER_PAYLOAD: int
    """Withdrawals per block (stakework has no payload: the block's withdrawal list)."""
    MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP: int
    PENDING_DEPOSITS_LIMIT: int
    PENDING_PARTIAL_WITHDRAWALS_LIMIT: int
    PENDING_CONSOLIDATIONS_LIMIT: int

    # -- block operation limits ---------------------------------------------------------------------------
    MAX_PROPOSER_SLASHINGS: int
    MAX_ATTESTER_SLASHINGS_ELECTRA: int
    MAX_ATTESTATIONS_ELECTRA: int
    MAX_VOLUNTARY_EXITS: int
    MAX_TRANSACTIONS_PER_BLOCK: int
    """stakework: native transactions a block may carry (no Ethereum counterpart: there the execution payload's
    gas limit bounds them)."""

    # -- modules (stakework only; read by each module's fee function, `stakework.modules.registry`) --------
    MODULE_MIN_FEE: int
    """Gwei: the least fee a module transaction pays (module state is kept, hashed and copied by every node)."""
    MODULE_KEY_FEE: int
    """Gwei more per validator key a module message submits: each costs every node a BLS signature check."""
    POOL_REGISTRATION_FEE: int
    """Gwei more for `pool.register`: a pool's state (its price history) lives on every node for good."""
    MAX_MODULE_KEYS_PER_BLOCK: int
    """Validator keys (signature checks) the module transactions of one block may submit in all."""

    # -- forks --------------------------------------------------------------------------------------------
    GENESIS_FORK_VERSION: bytes
    """4 bytes; deposit signatures use it (Spec: `compute_domain(DOMAIN_DEPOSIT)`)."""
    ELECTRA_FORK_VERSION: bytes
    """4 bytes; the only fork stakework runs."""

    def __post_init__(self) -> None:
        _validate(self)

    # -- derived ------------------------------------------------------------------------------------------
    @property
    def max_effective_balance_for(self) -> tuple[int, int]:
        """(cap for 0x00/0x01 credentials, cap for 0x02 credentials)."""
        return self.MIN_ACTIVATION_BALANCE, self.MAX_EFFECTIVE_BALANCE_ELECTRA

    def replace(self, **changes: Any) -> Preset:
        """A copy with `changes` applied and validated."""
        return dataclasses.replace(self, **changes)


_BYTES_FIELDS = {"GENESIS_FORK_VERSION": 4, "ELECTRA_FORK_VERSION": 4}
_STR_FIELDS = {"PRESET_NAME", "PRESET_BASE"}
_POWER_OF_TWO_FIELDS = {
    "SLOTS_PER_HISTORICAL_ROOT",
    "EPOCHS_PER_HISTORICAL_VECTOR",
    "EPOCHS_PER_SLASHINGS_VECTOR",
}
_ALLOW_ZERO = {
    "MIN_SEED_LOOKAHEAD",
    "MIN_ATTESTATION_INCLUSION_DELAY",
    "SHARD_COMMITTEE_PERIOD",
    "HYSTERESIS_DOWNWARD_MULTIPLIER",
    "MIN_EPOCHS_TO_INACTIVITY_PENALTY",
    "INACTIVITY_SCORE_RECOVERY_RATE",
    "MIN_VALIDATOR_WITHDRAWABILITY_DELAY",
}


def _validate(p: Preset) -> None:
    for f in fields(p):
        value = getattr(p, f.name)
        if f.name in _STR_FIELDS:
            if not isinstance(value, str) or not value:
                raise PresetError(f"{f.name}: expected a non-empty string, got {value!r}")
        elif f.name in _BYTES_FIELDS:
            if not isinstance(value, bytes) or len(value) != _BYTES_FIELDS[f.name]:
                raise PresetError(f"{f.name}: expected {_BYTES_FIELDS[f.name]} bytes, got {value!r}")
        else:
            if not isinstance(value, int) or isinstance(value, bool):
                raise PresetError(f"{f.name}: expected an integer, got {type(value).__name__} {value!r}")
            if value < 0 or value >= 2**64:
                raise PresetError(f"{f.name}: {value} is outside the unsigned 64-bit range")
            if value == 0 and f.name not in _ALLOW_ZERO:
                raise PresetError(f"{f.name}: must be positive, got 0")
            if f.name in _POWER_OF_TWO_FIELDS and value & (value - 1):
                raise PresetError(f"{f.name}: must be a power of two, got {value}")

    def need(condition: bool, key: str, message: str) -> None:
        if not condition:
            raise PresetError(f"{key}: {message}")

    inc = p.EFFECTIVE_BALANCE_INCREMENT
    need(
        p.MAX_EFFECTIVE_BALANCE_ELECTRA >= p.MIN_ACTIVATION_BALANCE,
        "MAX_EFFECTIVE_BALANCE_ELECTRA",
        f"{p.MAX_EFFECTIVE_BALANCE_ELECTRA} is below MIN_ACTIVATION_BALANCE {p.MIN_ACTIVATION_BALANCE}",
    )
    for key in ("MIN_ACTIVATION_BALANCE", "MAX_EFFECTIVE_BALANCE_ELECTRA", "EJECTION_BALANCE"):
        need(getattr(p, key) % inc == 0, key, f"must be a multiple of EFFECTIVE_BALANCE_INCREMENT ({inc})")
    need(
        p.EJECTION_BALANCE < p.MIN_ACTIVATION_BALANCE,
        "EJECTION_BALANCE",
        "must be below MIN_ACTIVATION_BALANCE, or every new validator is ejected",
    )
    need(
        p.MIN_DEPOSIT_AMOUNT <= p.MIN_ACTIVATION_BALANCE,
        "MIN_DEPOSIT_AMOUNT",
        "must not exceed MIN_ACTIVATION_BALANCE",
    )
    need(
        p.MAX_SEED_LOOKAHEAD >= p.MIN_SEED_LOOKAHEAD,
        "MAX_SEED_LOOKAHEAD",
        "must be at least MIN_SEED_LOOKAHEAD",
    )
    need(
        p.EPOCHS_PER_HISTORICAL_VECTOR > p.MAX_SEED_LOOKAHEAD + 1,
        "EPOCHS_PER_HISTORICAL_VECTOR",
        "must exceed MAX_SEED_LOOKAHEAD + 1 so seeds are not overwritten before use",
    )
    need(
        p.SLOTS_PER_HISTORICAL_ROOT % p.SLOTS_PER_EPOCH == 0,
        "SLOTS_PER_HISTORICAL_ROOT",
        "must be a multiple of SLOTS_PER_EPOCH",
    )
    need(
        p.SLOTS_PER_HISTORICAL_ROOT >= 2 * p.SLOTS_PER_EPOCH,
        "SLOTS_PER_HISTORICAL_ROOT",
        "must hold at least two epochs of block roots (justification reads the previous epoch's)",
    )
    need(
        inc <= p.MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT,
        "MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT",
        "must be at least one EFFECTIVE_BALANCE_INCREMENT",
    )
    need(
        inc <= p.MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA,
        "MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA",
        "must be at least one EFFECTIVE_BALANCE_INCREMENT",
    )
    need(
        p.HYSTERESIS_UPWARD_MULTIPLIER >= p.HYSTERESIS_DOWNWARD_MULTIPLIER,
        "HYSTERESIS_UPWARD_MULTIPLIER",
        "must be at least HYSTERESIS_DOWNWARD_MULTIPLIER",
    )
    need(
        p.MAX_VALIDATORS_PER_COMMITTEE >= p.TARGET_COMMITTEE_SIZE,
        "MAX_VALIDATORS_PER_COMMITTEE",
        "must be at least TARGET_COMMITTEE_SIZE",
    )
    need(p.SHUFFLE_ROUND_COUNT <= 255, "SHUFFLE_ROUND_COUNT", "must fit in one byte (at most 255)")


_ETHEREUM_COMMON: dict[str, Any] = dict(
    MIN_ATTESTATION_INCLUSION_DELAY=1,
    MIN_SEED_LOOKAHEAD=1,
    MAX_SEED_LOOKAHEAD=4,
    MIN_EPOCHS_TO_INACTIVITY_PENALTY=4,
    MIN_VALIDATOR_WITHDRAWABILITY_DELAY=256,
    MAX_VALIDATORS_PER_COMMITTEE=2048,
    MIN_DEPOSIT_AMOUNT=1 * GWEI_PER_SWK,
    MIN_ACTIVATION_BALANCE=32 * GWEI_PER_SWK,
    MAX_EFFECTIVE_BALANCE_ELECTRA=2048 * GWEI_PER_SWK,
    EFFECTIVE_BALANCE_INCREMENT=1 * GWEI_PER_SWK,
    EJECTION_BALANCE=16 * GWEI_PER_SWK,
    HYSTERESIS_QUOTIENT=4,
    HYSTERESIS_DOWNWARD_MULTIPLIER=1,
    HYSTERESIS_UPWARD_MULTIPLIER=5,
    BASE_REWARD_FACTOR=64,
    WHISTLEBLOWER_REWARD_QUOTIENT_ELECTRA=4096,
    PROPOSER_REWARD_QUOTIENT=8,
    MIN_SLASHING_PENALTY_QUOTIENT_ELECTRA=4096,
    PROPORTIONAL_SLASHING_MULTIPLIER_BELLATRIX=3,
    INACTIVITY_PENALTY_QUOTIENT_BELLATRIX=2**24,
    INACTIVITY_SCORE_BIAS=4,
    INACTIVITY_SCORE_RECOVERY_RATE=16,
    MAX_PENDING_DEPOSITS_PER_EPOCH=16,
    PENDING_DEPOSITS_LIMIT=2**27,
    MAX_PROPOSER_SLASHINGS=16,
    MAX_ATTESTER_SLASHINGS_ELECTRA=1,
    MAX_ATTESTATIONS_ELECTRA=8,
    MAX_VOLUNTARY_EXITS=16,
    MAX_TRANSACTIONS_PER_BLOCK=16_384,
    MODULE_MIN_FEE=1_000,
    MODULE_KEY_FEE=1_000_000,
    POOL_REGISTRATION_FEE=1 * GWEI_PER_SWK,
    MAX_MODULE_KEYS_PER_BLOCK=128,
)

MAINNET = Preset(
    PRESET_NAME="mainnet",
    PRESET_BASE="mainnet",
    SLOT_DURATION_MS=12_000,
    SLOTS_PER_EPOCH=32,
    SHARD_COMMITTEE_PERIOD=256,
    SLOTS_PER_HISTORICAL_ROOT=8192,
    EPOCHS_PER_HISTORICAL_VECTOR=65536,
    EPOCHS_PER_SLASHINGS_VECTOR=8192,
    MAX_COMMITTEES_PER_SLOT=64,
    TARGET_COMMITTEE_SIZE=128,
    SHUFFLE_ROUND_COUNT=90,
    MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA=128 * GWEI_PER_SWK,
    MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT=256 * GWEI_PER_SWK,
    CHURN_LIMIT_QUOTIENT=65536,
    MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP=8,
    MAX_WITHDRAWALS_PER_PAYLOAD=16,
    MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP=16384,
    PENDING_PARTIAL_WITHDRAWALS_LIMIT=2**27,
    PENDING_CONSOLIDATIONS_LIMIT=2**18,
    GENESIS_FORK_VERSION=bytes.fromhex("00000000"),
    ELECTRA_FORK_VERSION=bytes.fromhex("05000000"),
    **_ETHEREUM_COMMON,
)
"""Ethereum mainnet at Electra (consensus-specs presets/mainnet and configs/mainnet.yaml)."""

MINIMAL = Preset(
    PRESET_NAME="minimal",
    PRESET_BASE="minimal",
    SLOT_DURATION_MS=6_000,
    SLOTS_PER_EPOCH=8,
    SHARD_COMMITTEE_PERIOD=64,
    SLOTS_PER_HISTORICAL_ROOT=64,
    EPOCHS_PER_HISTORICAL_VECTOR=64,
    EPOCHS_PER_SLASHINGS_VECTOR=64,
    MAX_COMMITTEES_PER_SLOT=4,
    TARGET_COMMITTEE_SIZE=4,
    SHUFFLE_ROUND_COUNT=10,
    MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA=64 * GWEI_PER_SWK,
    MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT=128 * GWEI_PER_SWK,
    CHURN_LIMIT_QUOTIENT=32,
    MAX_PENDING_PARTIALS_PER_WITHDRAWALS_SWEEP=2,
    MAX_WITHDRAWALS_PER_PAYLOAD=4,
    MAX_VALIDATORS_PER_WITHDRAWALS_SWEEP=16,
    PENDING_PARTIAL_WITHDRAWALS_LIMIT=64,
    PENDING_CONSOLIDATIONS_LIMIT=64,
    GENESIS_FORK_VERSION=bytes.fromhex("00000001"),
    ELECTRA_FORK_VERSION=bytes.fromhex("05000001"),
    **_ETHEREUM_COMMON,
)
"""The reference specification's minimal preset (presets/minimal and configs/minimal.yaml)."""

DEVNET = MINIMAL.replace(
    PRESET_NAME="devnet",
    SLOT_DURATION_MS=2_000,
    MIN_VALIDATOR_WITHDRAWABILITY_DELAY=8,
    SHARD_COMMITTEE_PERIOD=4,
    INACTIVITY_PENALTY_QUOTIENT_BELLATRIX=2**12,
    GENESIS_FORK_VERSION=bytes.fromhex("5357cb00"),
    ELECTRA_FORK_VERSION=bytes.fromhex("5357cb05"),
)
"""A chain for one machine: the minimal preset (8-slot epochs, small committees, 64-epoch slashings window) with
2-second slots, an 8-epoch withdrawability delay, exits allowed after 4 epochs, and an inactivity leak 4096× faster
than Ethereum's so that a leak shows in a few dozen epochs. Its own fork versions keep its signatures from
verifying on any other chain."""

STAKEWORK_ONLY_FIELDS = frozenset(
    {
        "PRESET_NAME",
        "PRESET_BASE",
        "MAX_TRANSACTIONS_PER_BLOCK",
        "MODULE_MIN_FEE",
        "MODULE_KEY_FEE",
        "POOL_REGISTRATION_FEE",
        "MAX_MODULE_KEYS_PER_BLOCK",
    }
)
"""Fields with no counterpart in the reference specification."""

PRESETS: dict[str, Preset] = {p.PRESET_NAME: p for p in (MAINNET, MINIMAL, DEVNET)}


def get_preset(name: str) -> Preset:
    """The built-in preset called `name`, or a PresetError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise PresetError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}") from None


def preset_from_mapping(data: dict[str, Any], *, source: str = "preset") -> Preset:
    """Build a preset from `{"base": NAME, "PRESET_NAME": ..., <overrides>}`; unknown keys are refused."""
    data = dict(data)
    base_name = data.pop("base", data.pop("BASE", "minimal"))
    if not isinstance(base_name, str):
        raise PresetError(f"base: expected a preset name, got {base_name!r}")
    base = get_preset(base_name)
    known = {f.name for f in fields(Preset)}
    unknown = sorted(k for k in data if k not in known)
    if unknown:
        raise PresetError(f"{source}: unknown key {unknown[0]!r}; keys are the spec's names, e.g. SLOTS_PER_EPOCH")
    for key, size in _BYTES_FIELDS.items():
        if key in data and isinstance(data[key], str):
            text = data[key].removeprefix("0x")
            try:
                data[key] = bytes.fromhex(text)
            except ValueError:
                raise PresetError(f"{key}: expected {size} bytes as hex, got {data[key]!r}") from None
    data.setdefault("PRESET_NAME", f"{base_name}-custom")
    try:
        return base.replace(**data)
    except TypeError as exc:  # pragma: no cover - guarded by the unknown-key check
        raise PresetError(f"{source}: {exc}") from None


def load_preset(name_or_path: str | Path) -> Preset:
    """A built-in preset by name, or a custom one from a `.toml` / `.yaml` / `.yml` file overriding a base."""
    if isinstance(name_or_path, str) and name_or_path in PRESETS:
        return PRESETS[name_or_path]
    path = Path(name_or_path)
    if path.suffix.lower() not in {".toml", ".yaml", ".yml"}:
        return get_preset(str(name_or_path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PresetError(f"cannot read preset file {path}: {exc.strerror or exc}") from None
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, ValueError) as exc:
        raise PresetError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from None
    except Exception as exc:  # yaml.YAMLError and friends
        raise PresetError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PresetError(f"{path}: expected a table of KEY = value overrides")
    return preset_from_mapping(data, source=str(path))
