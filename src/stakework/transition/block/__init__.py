"""Block operations (Spec: process_operations' per-operation functions, Electra), one module per operation.

Each function takes the state and one operation and changes the state in place. An operation that fails a
check the spec asserts raises `InvalidOperation` naming the check (the block is invalid); execution-layer
requests that the spec ignores when invalid (withdrawal and consolidation requests) are ignored here too.
"""

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
from stakework.transition.block.withdrawals import ExpectedWithdrawals, get_expected_withdrawals, process_withdrawals

__all__ = [
    "ConsolidationRequest",
    "DepositRequest",
    "ExpectedWithdrawals",
    "SignedVoluntaryExit",
    "VoluntaryExit",
    "Withdrawal",
    "WithdrawalRequest",
    "get_expected_withdrawals",
    "process_consolidation_request",
    "process_deposit_request",
    "process_voluntary_exit",
    "process_withdrawal_request",
    "process_withdrawals",
]
