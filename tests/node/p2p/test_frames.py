"""Frames and messages of the p2p protocol: what a peer can send that must be refused before it costs memory."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from stakework.node.p2p import messages
from stakework.node.p2p.frames import FLAG_SNAPPY, MAX_PAYLOAD_SIZE, FrameError, encode_frame, read_frame
from stakework.node.p2p.scoring import BAN_THRESHOLD, Scores


def _read(data: bytes) -> bytes:
    async def go() -> bytes:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        return await read_frame(reader)

    return asyncio.run(go())


@pytest.mark.parametrize("snappy", [False, True])
def test_frame__message_round_trip__same_message_back(snappy: bool) -> None:
    message = messages.BlocksByRoot(7, [bytes([i]) * 32 for i in range(40)])
    assert messages.decode(_read(encode_frame(messages.encode(message), snappy=snappy))) == message


def test_frame__length_over_max_payload__refused_before_reading_the_body() -> None:
    header = (MAX_PAYLOAD_SIZE + 1).to_bytes(4, "big") + b"\x00"
    with pytest.raises(FrameError, match="over MAX_PAYLOAD_SIZE"):
        _read(header)  # no body follows: refused on the length alone


def test_frame__snappy_announcing_more_than_max__refused_before_decompressing() -> None:
    bomb = b"\xff\xff\xff\xff\x7f" + b"\x00" * 16  # varint preamble: ~34 GB announced
    with pytest.raises(FrameError, match="over MAX_PAYLOAD_SIZE"):
        _read(len(bomb).to_bytes(4, "big") + bytes([FLAG_SNAPPY]) + bomb)


def test_frame__snappy_garbage__refused() -> None:
    junk = b"\x10" + b"\xff" * 10
    with pytest.raises(FrameError):
        _read(len(junk).to_bytes(4, "big") + bytes([FLAG_SNAPPY]) + junk)


def test_frame__unknown_flag__refused() -> None:
    with pytest.raises(FrameError, match="unknown flags"):
        _read(b"\x00\x00\x00\x01\x80x")


def test_encode_frame__message_over_max__refused() -> None:
    with pytest.raises(FrameError):
        encode_frame(b"\x00" * (MAX_PAYLOAD_SIZE + 1))


def test_decode__random_bytes_or_wrong_types__message_error() -> None:
    with pytest.raises(messages.MessageError):
        messages.decode(b"\x93\x01\x02\x03")
    with pytest.raises(messages.MessageError):  # a request for more than 128 blocks
        messages.decode(
            msgspec.msgpack.encode({"type": "blocks_by_range", "request_id": 1, "start_slot": 0, "count": 129})
        )


def test_decode_payload__unknown_topic_or_bad_block__message_error() -> None:
    with pytest.raises(messages.MessageError, match="unknown gossip topic"):
        messages.decode_payload("nope", b"")
    with pytest.raises(messages.MessageError):
        messages.decode_payload(messages.TOPIC_BLOCK, b"\x01\x02")


def test_message_id__same_payload_same_id__other_topic_other_id() -> None:
    assert messages.message_id("a", b"x") == messages.message_id("a", b"x")
    assert messages.message_id("a", b"x") != messages.message_id("b", b"x")


def test_scores__four_invalid_messages_in_a_row__below_threshold_then_banned() -> None:
    now = [0.0]
    scores = Scores(clock=lambda: now[0])
    assert not any(scores.penalize(b"p", "invalid_message") for _ in range(3))
    assert scores.penalize(b"p", "invalid_message")
    assert scores.score(b"p") <= BAN_THRESHOLD
    scores.ban(b"p")
    assert scores.is_banned(b"p")
    now[0] += 3600
    assert not scores.is_banned(b"p")
    assert scores.score(b"p") == 0.0  # forgiven with time


DEEP = b"\x91" * 200_000 + b"\x01"
"""An array nested 200,000 deep: past msgspec's recursion (it recurses to skip an unknown field)."""


def test_decode__a_field_nested_too_deep__message_error_not_recursion_error() -> None:
    with pytest.raises(messages.MessageError, match="nested too deep"):
        messages.decode(b"\x81\xa1a" + DEEP)
    with pytest.raises(messages.MessageError):
        messages.decode_payload(messages.TOPIC_BLOCK, b"\x81\xa1a" + DEEP)


def test_decode_store__nested_too_deep__module_store_error() -> None:
    from stakework.modules.store import ModuleStoreError, decode_store

    with pytest.raises(ModuleStoreError, match="nested too deep"):
        decode_store(b"\x81\xa6liquid" + b"\x81\xa1a" + DEEP)
