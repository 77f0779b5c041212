"""Runner for Ethereum's official consensus-spec-tests (Electra), the `.ssz_snappy` pre/post layout.

Layout walked: `<DIR>/<preset>/electra/<runner>/<handler>/pyspec_tests/<case>/`, with `pre.ssz_snappy`,
`post.ssz_snappy` (absent when the case must fail to apply) and the handler's inputs. Every file is a snappy
*block* (not framed) compressing the SSZ serialisation. States are converted straight from their SSZ bytes with
`pyspec_bridge.from_ssz_bytes` (the registry and long vectors with numpy, the other fields with the reference
specification's own SSZ types, `eth_consensus_specs.electra.<preset>`); operations and deltas are decoded with
the reference's types and converted to stakework's messages here.

What a case checks:
- `epoch_processing/<h>`: the stakework step `process_<h>` of `EPOCH_STEPS`, run on `EpochContext.build(pre)`,
  must turn `pre` into `post` (every field stakework keeps, compared with `first_difference`); without `post`
  the step must raise `TransitionError` (the reference raises on a uint64 overflow). Where the case also has
  `pre_epoch` and `post_epoch` (the states around the whole epoch transition), stakework's `process_epoch`
  must turn one into the other too.
- `rewards/<h>`: `get_flag_index_deltas` for source, target and head and `get_inactivity_penalty_deltas` must
  equal the case's `source_deltas`, `target_deltas`, `head_deltas` and `inactivity_penalty_deltas`.
- `operations/<h>` for the operations stakework has: the stakework function on the converted operation must
  give `post`, or raise `TransitionError` (`InvalidOperation`) when there is no `post`.
- every case that runs: every state it holds (`pre`, `post`, `pre_epoch`, `post_epoch`) survives decode ->
  stakework -> reference -> encode byte for byte, once the fields stakework does not keep (`DROPPED_FIELDS` in
  `pyspec_bridge`) are set to their defaults on both sides.

Handlers stakework does not run are listed in `SKIPPED_HANDLERS` with the reason; a handler in neither table is
reported as a failure ("unknown handler"), so nothing is skipped silently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np

from stakework.conformance import official_blocks
from stakework.conformance.pyspec_bridge import (
    DROPPED_FIELDS,
    SszError,
    first_difference,
    from_ssz_bytes,
    spec_for,
    ssz_field_bytes,
    to_ssz_bytes,
)
from stakework.spec.constants import TIMELY_HEAD_FLAG_INDEX, TIMELY_SOURCE_FLAG_INDEX, TIMELY_TARGET_FLAG_INDEX
from stakework.spec.errors import StakeworkError
from stakework.spec.presets import MAINNET, MINIMAL, Preset
from stakework.state import BeaconState
from stakework.transition.block.consolidation_request import process_consolidation_request
from stakework.transition.block.deposit_request import process_deposit_request
from stakework.transition.block.operations import (
    ConsolidationRequest,
    DepositRequest,
    SignedVoluntaryExit,
    VoluntaryExit,
    Withdrawal,
    WithdrawalRequest,
)
from stakework.transition.block.voluntary_exit import process_voluntary_exit
from stakework.transition.block.withdrawal_request import process_withdrawal_request
from stakework.transition.block.withdrawals import process_withdrawals
from stakework.transition.epoch import EPOCH_STEPS, EpochContext, process_epoch
from stakework.transition.epoch.rewards import get_flag_index_deltas, get_inactivity_penalty_deltas
from stakework.transition.errors import TransitionError

FORK = "electra"
PRESETS: dict[str, Preset] = {"minimal": MINIMAL, "mainnet": MAINNET}

_WHOLE_BLOCKS = (
    "Ethereum blocks carry an execution payload, eth1 data and a sync aggregate that stakework's blocks do not "
    "have, so whole-block cases cannot be mapped; stakework's own blocks are tested end to end "
    "(tests/transition/block, tests/node) and every block operation runs here"
)

SKIPPED_HANDLERS: dict[tuple[str, str], str] = {
    ("epoch_processing", "eth1_data_reset"): (
        "no eth1 bridge: deposits are native transactions, so there are no eth1_data_votes to reset "
        "(the step touches only that field, which stakework does not keep)"
    ),
    ("epoch_processing", "sync_committee_updates"): "no sync committees in stakework (light clients out of scope)",
    ("epoch_processing", "historical_roots_update"): "pre-Capella step; Electra uses historical_summaries_update",
    ("operations", "execution_payload"): "no execution layer in stakework (accounts and modules are native)",
    ("operations", "sync_aggregate"): "no sync committees in stakework (light clients out of scope)",
    ("operations", "bls_to_execution_change"): (
        "no execution layer: withdrawal credentials are set at deposit, there are no 0x00 -> 0x01 changes"
    ),
    ("operations", "deposit"): (
        "no eth1 bridge: deposits are native (EIP-6110 deposit requests), no deposit-contract Merkle proofs"
    ),
    ("sanity", "blocks"): _WHOLE_BLOCKS,
    ("sanity", "slots"): (
        "process_slot caches the state root, and stakework's state root is its own canonical hash, not SSZ "
        "(docs/consensus.md), so state_roots and block_roots after empty slots differ by design; the epoch "
        "steps those slots run are all checked here case by case"
    ),
    ("finality", "finality"): _WHOLE_BLOCKS,
}
"""(runner, handler) -> why stakework does not run it. The one place where official cases are skipped."""

REWARD_DELTAS: tuple[tuple[str, int | None], ...] = (
    ("source_deltas", TIMELY_SOURCE_FLAG_INDEX),
    ("target_deltas", TIMELY_TARGET_FLAG_INDEX),
    ("head_deltas", TIMELY_HEAD_FLAG_INDEX),
    ("inactivity_penalty_deltas", None),
)
"""The rewards runner's delta files: (file name, participation flag, or None for the inactivity penalties)."""

Status = Literal["passed", "failed", "skipped"]


class OfficialCaseError(StakeworkError):
    """The official-tests directory is missing, has no cases in the expected layout, or a case file cannot be
    read or decoded."""


@dataclass(frozen=True, order=True)
class OfficialCase:
    """One case directory: `<root>/<preset>/electra/<runner>/<handler>/pyspec_tests/<name>/`."""

    preset: str
    runner: str
    handler: str
    name: str
    path: Path

    @property
    def key(self) -> tuple[str, str]:
        """(runner, handler)."""
        return (self.runner, self.handler)

    def __str__(self) -> str:
        return f"{self.preset}/{self.runner}/{self.handler}/{self.name}"


@dataclass(frozen=True)
class CaseResult:
    """The outcome of one case; `detail` names the first differing field of a failure, or the skip reason."""

    case: OfficialCase
    status: Status
    detail: str = ""
    malformed: bool = False
    """True when the case directory itself is bad (a missing or undecodable file), not stakework's result."""

    def describe(self) -> str:
        """One line: the case and what happened."""
        return f"{self.case}: {self.detail}" if self.detail else f"{self.case}: {self.status}"


class CaseFailure(Exception):
    """Raised inside a handler when the case does not match; the message is the first difference."""


# -- finding cases -------------------------------------------------------------------------------------------
_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def find_cases(
    root: Path, *, preset: str | None = None, runner: str | None = None, handler: str | None = None
) -> list[OfficialCase]:
    """Every case under `root` (optionally only one preset, runner or handler), sorted.

    Raises OfficialCaseError when `root` is not a directory, when it holds no `<preset>/electra/` folder, or
    when the filters leave no case.
    """
    if preset is not None and preset not in PRESETS:
        raise OfficialCaseError(f"unknown preset {preset!r} (official cases exist for: {', '.join(PRESETS)})")
    if not root.is_dir():
        raise OfficialCaseError(f"{root}: not a directory (expected <DIR>/<preset>/{FORK}/<runner>/...)")
    presets = [p for p in PRESETS if (root / p / FORK).is_dir() and preset in (None, p)]
    if not presets:
        where = preset or " or ".join(PRESETS)
        raise OfficialCaseError(f"{root}: no {where}/{FORK}/ folder (expected <DIR>/<preset>/{FORK}/<runner>/...)")
    cases = []
    for p in presets:
        for runner_dir in _subdirs(root / p / FORK):
            if runner not in (None, runner_dir.name):
                continue
            for handler_dir in _subdirs(runner_dir):
                if handler not in (None, handler_dir.name):
                    continue
                for suite_dir in _subdirs(handler_dir):
                    for case_dir in _subdirs(suite_dir):
                        cases.append(OfficialCase(p, runner_dir.name, handler_dir.name, case_dir.name, case_dir))
    if not cases:
        wanted = "/".join(x for x in (runner, handler) if x) or "any runner"
        raise OfficialCaseError(f"{root}: no official cases for {wanted} under {', '.join(presets)}/{FORK}/")
    return sorted(cases)


def _subdirs(path: Path) -> list[Path]:
    return sorted(d for d in path.iterdir() if d.is_dir() and _NAME.match(d.name))


# -- decoding ------------------------------------------------------------------------------------------------
def read_ssz_snappy(path: Path) -> bytes:
    """The SSZ bytes held in `path` (snappy block-compressed, as the reference generator writes them)."""
    import snappy  # python-snappy: a test/dev dependency, needed only for official cases

    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise OfficialCaseError(f"{path}: cannot read ({exc.strerror})") from exc
    try:
        data: bytes = snappy.decompress(raw)
    except Exception as exc:  # the library raises its own error types
        raise OfficialCaseError(f"{path}: not snappy-compressed data ({exc})") from exc
    return data


def decode_ssz_snappy(path: Path, typ: Any) -> Any:
    """The reference SSZ view of type `typ` held in `path`."""
    try:
        return typ.decode_bytes(read_ssz_snappy(path))
    except OfficialCaseError:
        raise
    except Exception as exc:  # remerkleable raises plain Exception/ValueError/AssertionError on bad SSZ
        raise OfficialCaseError(f"{path}: not a valid SSZ {typ.__name__} ({exc})") from exc


def _spec(case: OfficialCase) -> ModuleType:
    return spec_for(PRESETS[case.preset])


def _load_state(case: OfficialCase, name: str) -> tuple[bytes, BeaconState] | None:
    """(SSZ bytes, stakework state) of the case's `<name>.ssz_snappy`, None when there is no such file."""
    path = case.path / f"{name}.ssz_snappy"
    if not path.exists():
        return None
    data = read_ssz_snappy(path)
    try:
        return data, from_ssz_bytes(data, PRESETS[case.preset])
    except SszError as exc:
        raise OfficialCaseError(f"{path}: not a valid SSZ BeaconState ({exc})") from exc


def _input(case: OfficialCase, name: str, type_name: str) -> Any:
    path = case.path / f"{name}.ssz_snappy"
    if not path.exists():
        raise OfficialCaseError(f"{case.path}: missing {path.name}")
    return decode_ssz_snappy(path, getattr(_spec(case), type_name))


# -- round trip ----------------------------------------------------------------------------------------------
def round_trip_difference(data: bytes, state: BeaconState) -> str | None:
    """None when `state` (converted from the reference BeaconState bytes `data`) converts back to the same
    bytes in every field but DROPPED_FIELDS; else the first field that changed."""
    typ = spec_for(state.preset).BeaconState
    back = ssz_field_bytes(typ, to_ssz_bytes(state))
    for name, raw in ssz_field_bytes(typ, data).items():
        if name not in DROPPED_FIELDS and raw != back[name]:
            return f"round trip changed {name}"
    return None


def _check_round_trip(loaded: tuple[bytes, BeaconState], label: str) -> None:
    diff = round_trip_difference(*loaded)
    if diff is not None:
        raise CaseFailure(f"{label}: {diff}")


# -- handlers ------------------------------------------------------------------------------------------------
Apply = Callable[[BeaconState], None]
"""Applies one case's transition to a stakework state, in place."""


def _epoch_step(handler: str) -> Callable[[OfficialCase], Apply] | None:
    steps = dict(EPOCH_STEPS)
    fn = steps.get(f"process_{handler}")
    if fn is None:
        return None
    return lambda case: lambda state: fn(state, EpochContext.build(state))


def _voluntary_exit(case: OfficialCase) -> Apply:
    op = _input(case, "voluntary_exit", "SignedVoluntaryExit")
    signed = SignedVoluntaryExit(
        message=VoluntaryExit(epoch=int(op.message.epoch), validator_index=int(op.message.validator_index)),
        signature=bytes(op.signature),
    )
    # Ethereum's exits are signed in the Capella domain (EIP-7044); see docs/consensus-block-ops.md.
    capella = bytes(_spec(case).config.CAPELLA_FORK_VERSION)
    return lambda state: process_voluntary_exit(state, signed, domain_fork_version=capella)


def _deposit_request(case: OfficialCase) -> Apply:
    op = _input(case, "deposit_request", "DepositRequest")
    request = DepositRequest(
        pubkey=bytes(op.pubkey),
        withdrawal_credentials=bytes(op.withdrawal_credentials),
        amount=int(op.amount),
        signature=bytes(op.signature),
        index=int(op.index),
    )
    return lambda state: process_deposit_request(state, request)


def _withdrawal_request(case: OfficialCase) -> Apply:
    op = _input(case, "withdrawal_request", "WithdrawalRequest")
    request = WithdrawalRequest(
        source_address=bytes(op.source_address), validator_pubkey=bytes(op.validator_pubkey), amount=int(op.amount)
    )
    return lambda state: process_withdrawal_request(state, request)


def _consolidation_request(case: OfficialCase) -> Apply:
    op = _input(case, "consolidation_request", "ConsolidationRequest")
    request = ConsolidationRequest(
        source_address=bytes(op.source_address),
        source_pubkey=bytes(op.source_pubkey),
        target_pubkey=bytes(op.target_pubkey),
    )
    return lambda state: process_consolidation_request(state, request)


def _withdrawals(case: OfficialCase) -> Apply:
    payload = _input(case, "execution_payload", "ExecutionPayload")
    withdrawals = [
        Withdrawal(
            index=int(w.index), validator_index=int(w.validator_index), address=bytes(w.address), amount=int(w.amount)
        )
        for w in payload.withdrawals
    ]
    return lambda state: process_withdrawals(state, withdrawals)


def _block_operation(name: str, type_name: str, build: Callable[[Any], Apply]) -> Callable[[OfficialCase], Apply]:
    return lambda case: build(_input(case, name, type_name))


OPERATIONS: dict[str, Callable[[OfficialCase], Apply]] = {
    "attestation": _block_operation("attestation", "Attestation", official_blocks.run_attestation),
    "attester_slashing": _block_operation(
        "attester_slashing", "AttesterSlashing", official_blocks.run_attester_slashing
    ),
    "proposer_slashing": _block_operation(
        "proposer_slashing", "ProposerSlashing", official_blocks.run_proposer_slashing
    ),
    "block_header": _block_operation("block", "BeaconBlock", official_blocks.run_block_header),
    "voluntary_exit": _voluntary_exit,
    "deposit_request": _deposit_request,
    "withdrawal_request": _withdrawal_request,
    "consolidation_request": _consolidation_request,
    "withdrawals": _withdrawals,
}
"""operations handler -> builder of the stakework call (decodes the case's input, converts it)."""


def _run_transition(case: OfficialCase, build: Callable[[OfficialCase], Apply]) -> None:
    pre = _load_state(case, "pre")
    if pre is None:
        raise OfficialCaseError(f"{case.path}: missing pre.ssz_snappy")
    post = _load_state(case, "post")
    _check_round_trip(pre, "pre")
    if post is not None:
        _check_round_trip(post, "post")
    apply = build(case)
    state = pre[1]
    if post is None:
        try:
            apply(state)
        except TransitionError:
            return
        except Exception as exc:
            raise CaseFailure(
                f"no post (must fail to apply): raised {type(exc).__name__} instead of TransitionError: {exc}"
            ) from exc
        raise CaseFailure("no post (must fail to apply), but stakework applied it")
    try:
        apply(state)
    except Exception as exc:
        raise CaseFailure(f"raised {type(exc).__name__}: {exc}") from exc
    diff = first_difference(post[1], state)
    if diff is not None:
        raise CaseFailure(diff)


def _run_epoch_case(case: OfficialCase, build: Callable[[OfficialCase], Apply]) -> None:
    """An epoch_processing case: the named step (pre -> post), then, when the case has them, the whole
    `process_epoch` from `pre_epoch` (the state before the epoch transition) to `post_epoch` (after it)."""
    _run_transition(case, build)
    pre_epoch = _load_state(case, "pre_epoch")
    post_epoch = _load_state(case, "post_epoch")
    if pre_epoch is None or post_epoch is None:
        return
    _check_round_trip(pre_epoch, "pre_epoch")
    _check_round_trip(post_epoch, "post_epoch")
    state = pre_epoch[1]
    try:
        process_epoch(state)
    except Exception as exc:
        raise CaseFailure(f"process_epoch (pre_epoch -> post_epoch) raised {type(exc).__name__}: {exc}") from exc
    diff = first_difference(post_epoch[1], state)
    if diff is not None:
        raise CaseFailure(f"process_epoch (pre_epoch -> post_epoch): {diff}")


def deltas_type(spec: ModuleType) -> Any:
    """The rewards runner's `Deltas` container (defined by the reference's test helpers, not its spec module:
    `rewards` and `penalties`, lists of Gwei). A list's SSZ bytes do not depend on its limit."""
    from remerkleable.basic import uint64
    from remerkleable.complex import Container, List

    gwei_list = List[uint64, spec.VALIDATOR_REGISTRY_LIMIT]
    # Built with type() so that the field types are real classes (this module postpones annotations).
    deltas: Any = type("Deltas", (Container,), {"__annotations__": {"rewards": gwei_list, "penalties": gwei_list}})
    return deltas


def _run_rewards(case: OfficialCase) -> None:
    pre = _load_state(case, "pre")
    if pre is None:
        raise OfficialCaseError(f"{case.path}: missing pre.ssz_snappy")
    _check_round_trip(pre, "pre")
    state = pre[1]
    ctx = EpochContext.build(state)
    for name, flag in REWARD_DELTAS:
        path = case.path / f"{name}.ssz_snappy"
        if not path.exists():
            raise OfficialCaseError(f"{case.path}: missing {path.name}")
        expected = decode_ssz_snappy(path, deltas_type(_spec(case)))
        try:
            got = get_inactivity_penalty_deltas(state, ctx) if flag is None else get_flag_index_deltas(state, ctx, flag)
        except Exception as exc:
            raise CaseFailure(f"{name}: raised {type(exc).__name__}: {exc}") from exc
        for part, array in zip(("rewards", "penalties"), got, strict=True):
            want = np.frombuffer(getattr(expected, part).encode_bytes(), dtype="<u8")
            have = np.asarray(array, dtype=np.uint64)
            if want.shape != have.shape:
                raise CaseFailure(f"{name}.{part}: expected {len(want)} entries, got {len(have)}")
            if not np.array_equal(want, have):
                i = int(np.flatnonzero(want != have)[0])
                count = int((want != have).sum())
                raise CaseFailure(
                    f"{name}.{part}[{i}]: expected {int(want[i])}, got {int(have[i])} ({count} validators differ)"
                )


def handler_runner(runner: str, handler: str) -> Callable[[OfficialCase], None] | None:
    """The function that runs a case of (runner, handler), or None when stakework has no such handler."""
    if runner == "epoch_processing":
        step = _epoch_step(handler)
        return None if step is None else lambda case: _run_epoch_case(case, step)
    if runner == "rewards" and handler in ("basic", "leak", "random", "inactivity_scores"):
        return _run_rewards
    if runner == "operations" and handler in OPERATIONS:
        build = OPERATIONS[handler]
        return lambda case: _run_transition(case, build)
    return None


# -- running -------------------------------------------------------------------------------------------------
def run_case(case: OfficialCase) -> CaseResult:
    """Run one case: skipped (with the reason) when its handler is in SKIPPED_HANDLERS, failed with the first
    difference (or "unknown handler") otherwise when stakework does not reproduce it, passed when it does."""
    reason = SKIPPED_HANDLERS.get(case.key)
    if reason is not None:
        return CaseResult(case, "skipped", reason)
    run = handler_runner(case.runner, case.handler)
    if run is None:
        return CaseResult(case, "failed", f"unknown handler {case.runner}/{case.handler} (not run, not skipped)")
    try:
        run(case)
    except CaseFailure as exc:
        return CaseResult(case, "failed", str(exc))
    except OfficialCaseError as exc:
        return CaseResult(case, "failed", f"bad case: {exc}", malformed=True)
    return CaseResult(case, "passed")


def run_cases(cases: Iterable[OfficialCase]) -> Iterator[CaseResult]:
    """run_case for each case, in order."""
    for case in cases:
        yield run_case(case)


@dataclass
class HandlerTally:
    """Counts for one (preset, runner, handler)."""

    passed: int = 0
    failed: int = 0
    skipped: int = 0
    reason: str = ""


def tally(results: Iterable[CaseResult]) -> dict[tuple[str, str, str], HandlerTally]:
    """(preset, runner, handler) -> counts, sorted by key."""
    out: dict[tuple[str, str, str], HandlerTally] = {}
    for r in results:
        t = out.setdefault((r.case.preset, r.case.runner, r.case.handler), HandlerTally())
        setattr(t, r.status, getattr(t, r.status) + 1)
        if r.status == "skipped":
            t.reason = r.detail
    return dict(sorted(out.items()))


def summary_line(results: Iterable[CaseResult]) -> str:
    """`N passed, M failed, K skipped`."""
    c = Counter(r.status for r in results)
    return f"{c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"


def skip_lines(results: Iterable[CaseResult]) -> list[str]:
    """One line per skipped handler: `skipped <preset>/<runner>/<handler>: <count> (<reason>)`."""
    return [f"skipped {p}/{r}/{h}: {t.skipped} ({t.reason})" for (p, r, h), t in tally(results).items() if t.skipped]


def markdown_report(results: list[CaseResult], *, command: str = "") -> str:
    """docs/conformance.md: per preset, the table runner/handler -> passed/failed/skipped, then the skip reasons
    and the failing cases (if any)."""
    lines = [
        "# Conformance with Ethereum's official consensus-spec-tests (Electra)",
        "",
        "Generated by `stakework spec-test --official DIR --markdown docs/conformance.md` from the cases that",
        "`../shared/tools/official-spec-tests.sh` regenerates with the reference specification",
        "(`eth-consensus-specs` 1.7.0a13); the repository keeps them as `tests/conformance/official/<preset>.tar.xz`",
        "(extract them into DIR). Do not edit by hand; rerun the command.",
        "",
    ]
    if command:
        lines += ["Command:", "", "```", command, "```", ""]
    lines += [
        "Each run case compares every field stakework keeps with the case's `post` (or the reward deltas), checks",
        "that a case without `post` is refused, runs the whole `process_epoch` from `pre_epoch` to `post_epoch`",
        "where an epoch_processing case has them, and checks that every state survives the SSZ -> stakework ->",
        f"SSZ round trip (dropped fields: {', '.join(f'`{f}`' for f in DROPPED_FIELDS)}).",
        "",
        f"Overall: {summary_line(results)}.",
        "",
    ]
    counts = tally(results)
    for preset in sorted({p for p, _, _ in counts}, key=list(PRESETS).index):
        rows = [(k, t) for k, t in counts.items() if k[0] == preset]
        sub = [r for r in results if r.case.preset == preset]
        lines += [f"## {preset}", "", f"{summary_line(sub)}.", ""]
        lines += ["| runner | handler | passed | failed | skipped |", "| --- | --- | ---: | ---: | ---: |"]
        for (_, runner, handler), t in rows:
            lines.append(f"| {runner} | {handler} | {t.passed} | {t.failed} | {t.skipped} |")
        lines.append("")
    reasons = sorted({(r.case.runner, r.case.handler, r.detail) for r in results if r.status == "skipped"})
    if reasons:
        lines += ["## Skipped handlers", "", "From `SKIPPED_HANDLERS` in `stakework/conformance/official.py`.", ""]
        lines += ["| runner | handler | reason |", "| --- | --- | --- |"]
        lines += [f"| {runner} | {handler} | {reason} |" for runner, handler, reason in reasons]
        lines.append("")
    failures = [r for r in results if r.status == "failed"]
    if failures:
        lines += ["## Failing cases", ""]
        lines += [f"- `{r.case}`: {r.detail}" for r in failures]
        lines.append("")
    return "\n".join(lines)
