"""The messages peers exchange: msgspec structs tagged by kind, msgpack-encoded, one per frame.

Gossip payloads are the chain's own msgspec wire types (the structs blocks are stored and hashed with), encoded
once by their publisher: a relay forwards the same bytes, so a message's id (`message_id`) is the same at every
hop. Requests carry a `request_id` that their response echoes (one connection carries many requests at once)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from stakework.codec.hashing import sha256
from stakework.transition.block.block import Attestation, AttesterSlashing, ProposerSlashing, SignedBeaconBlock
from stakework.transition.block.transaction import SignedTransaction

U64 = Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
Root = Annotated[bytes, msgspec.Meta(min_length=32, max_length=32)]
MAX_REQUEST_BLOCKS = 128
"""Spec (p2p-interface.md, Deneb+): MAX_REQUEST_BLOCKS_DENEB = 128, the most blocks one request may ask for."""
PROTOCOL_VERSION = 1

TOPIC_BLOCK = "beacon_block"
TOPIC_AGGREGATE = "beacon_aggregate_and_proof"
TOPIC_TRANSACTION = "transaction"
TOPIC_ATTESTER_SLASHING = "attester_slashing"
TOPIC_PROPOSER_SLASHING = "proposer_slashing"
TOPIC_TYPES: dict[str, type] = {
    TOPIC_BLOCK: SignedBeaconBlock,
    TOPIC_AGGREGATE: Attestation,
    TOPIC_TRANSACTION: SignedTransaction,
    TOPIC_ATTESTER_SLASHING: AttesterSlashing,
    TOPIC_PROPOSER_SLASHING: ProposerSlashing,
}
"""Gossip topics and the type of their payload. Exits travel as `exit` transactions on the transaction topic."""


class Status(msgspec.Struct, frozen=True, tag="status"):
    """Spec: Status (genesis fork digest → genesis root and fork version here; finalized and head checkpoints).
    Sent first on every connection, and as the answer to `GetStatus`."""

    genesis_root: Root
    fork_version: Annotated[bytes, msgspec.Meta(min_length=4, max_length=4)]
    finalized_epoch: U64
    finalized_root: Root
    head_slot: U64
    head_root: Root
    node_id: Annotated[bytes, msgspec.Meta(min_length=16, max_length=16)]
    """Random per process: tells a connection to oneself, or a second one to the same node."""
    listen_port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 0
    version: U64 = PROTOCOL_VERSION


class GetStatus(msgspec.Struct, frozen=True, tag="get_status"):
    request_id: U64


class StatusResponse(msgspec.Struct, frozen=True, tag="status_response"):
    request_id: U64
    status: Status


class Ping(msgspec.Struct, frozen=True, tag="ping"):
    request_id: U64


class Pong(msgspec.Struct, frozen=True, tag="pong"):
    request_id: U64


class Goodbye(msgspec.Struct, frozen=True, tag="goodbye"):
    """Spec: Goodbye reasons 1 client shut down, 2 irrelevant network, 3 fault/error; 250+ client-specific."""

    reason: U64


GOODBYE_SHUTDOWN = 1
GOODBYE_IRRELEVANT_NETWORK = 2
GOODBYE_FAULT = 3
GOODBYE_BANNED = 251


class BlocksByRange(msgspec.Struct, frozen=True, tag="blocks_by_range"):
    request_id: U64
    start_slot: U64
    count: Annotated[int, msgspec.Meta(ge=1, le=MAX_REQUEST_BLOCKS)]


class BlocksByRoot(msgspec.Struct, frozen=True, tag="blocks_by_root"):
    request_id: U64
    roots: Annotated[list[Root], msgspec.Meta(max_length=MAX_REQUEST_BLOCKS)]


class Blocks(msgspec.Struct, frozen=True, tag="blocks"):
    """The response to BlocksByRange (the serving node's canonical chain, slot order) or BlocksByRoot (those it
    has); `error` non-empty when the request was refused."""

    request_id: U64
    blocks: Annotated[list[bytes], msgspec.Meta(max_length=MAX_REQUEST_BLOCKS)]
    """Each a msgpack-encoded SignedBeaconBlock (decoded and checked by the requester)."""
    error: str = ""
    retry_after_ms: U64 = 0
    """With an `error` for a request over the peer's rate limit: when the same request would be served."""


class GetFinalizedState(msgspec.Struct, frozen=True, tag="get_finalized_state"):
    """Checkpoint sync: ask for the serving node's finalized checkpoint state; with `root`, for the finalized
    state of that block (the user's trusted root, which the serving node may have finalized past since)."""

    request_id: U64
    root: Annotated[bytes, msgspec.Meta(max_length=32)] = b""


class FinalizedState(msgspec.Struct, frozen=True, tag="finalized_state"):
    """The finalized checkpoint (epoch, block root) and its block's post-state as a binary snapshot
    (`state.snapshot.save_binary`); empty `state` when the node cannot serve one (`error` says why when it was
    refused: over the rate limit)."""

    request_id: U64
    epoch: U64
    root: Root
    state: bytes
    error: str = ""
    retry_after_ms: U64 = 0


class Gossip(msgspec.Struct, frozen=True, tag="gossip"):
    topic: str
    data: bytes


Message = (
    Status
    | GetStatus
    | StatusResponse
    | Ping
    | Pong
    | Goodbye
    | BlocksByRange
    | BlocksByRoot
    | Blocks
    | GetFinalizedState
    | FinalizedState
    | Gossip
)
_decoder: msgspec.msgpack.Decoder[Message] = msgspec.msgpack.Decoder(Message)
_encoder = msgspec.msgpack.Encoder()


class MessageError(ValueError):
    """Bytes that are not a well-formed message (the peer is faulty)."""


def encode(message: Message) -> bytes:
    return _encoder.encode(message)


def decode(data: bytes) -> Message:
    """The message in `data`. MessageError when it is not one (garbage, a wrong field type, an out-of-range
    integer)."""
    try:
        return _decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MessageError(f"not a stakework message ({exc})") from None
    except RecursionError:  # (an unknown field nested past the decoder's recursion: skipping it recurses)
        raise MessageError("not a stakework message (nested too deep)") from None


def decode_payload(topic: str, data: bytes) -> object:
    """A gossip payload as its topic's type. MessageError for an unknown topic or a payload that does not
    decode."""
    kind = TOPIC_TYPES.get(topic)
    if kind is None:
        raise MessageError(f"unknown gossip topic {topic!r}")
    try:
        return msgspec.msgpack.decode(data, type=kind)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MessageError(f"{topic} payload does not decode ({exc})") from None
    except RecursionError:
        raise MessageError(f"{topic} payload does not decode (nested too deep)") from None


def message_id(topic: str, data: bytes) -> bytes:
    """Spec (gossip message-id, simplified): the first 20 bytes of sha256(topic || payload)."""
    return sha256(topic.encode() + b"\x00" + data)[:20]
