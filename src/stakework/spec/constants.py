"""Constants that are the same in every preset (Spec: "Constants" sections, phase0 → Electra)."""

from stakework.spec.types import DomainType

# Participation flags (Spec: altair, "Participation flag indices" and "Incentivization weights").
TIMELY_SOURCE_FLAG_INDEX = 0
TIMELY_TARGET_FLAG_INDEX = 1
TIMELY_HEAD_FLAG_INDEX = 2
TIMELY_SOURCE_WEIGHT = 14
TIMELY_TARGET_WEIGHT = 26
TIMELY_HEAD_WEIGHT = 14
SYNC_REWARD_WEIGHT = 2
PROPOSER_WEIGHT = 8
WEIGHT_DENOMINATOR = 64
PARTICIPATION_FLAG_WEIGHTS = (TIMELY_SOURCE_WEIGHT, TIMELY_TARGET_WEIGHT, TIMELY_HEAD_WEIGHT)

JUSTIFICATION_BITS_LENGTH = 4
BASE_REWARDS_PER_EPOCH = 4

# Withdrawal credential prefixes (Spec: phase0, capella, electra EIP-7251).
BLS_WITHDRAWAL_PREFIX = 0x00
ETH1_ADDRESS_WITHDRAWAL_PREFIX = 0x01
COMPOUNDING_WITHDRAWAL_PREFIX = 0x02

# Signature domains.
DOMAIN_BEACON_PROPOSER = DomainType(bytes.fromhex("00000000"))
DOMAIN_BEACON_ATTESTER = DomainType(bytes.fromhex("01000000"))
DOMAIN_RANDAO = DomainType(bytes.fromhex("02000000"))
DOMAIN_DEPOSIT = DomainType(bytes.fromhex("03000000"))
DOMAIN_VOLUNTARY_EXIT = DomainType(bytes.fromhex("04000000"))
DOMAIN_SELECTION_PROOF = DomainType(bytes.fromhex("05000000"))
DOMAIN_AGGREGATE_AND_PROOF = DomainType(bytes.fromhex("06000000"))

FULL_EXIT_REQUEST_AMOUNT = 0
UNSET_DEPOSIT_REQUESTS_START_INDEX = 2**64 - 1
