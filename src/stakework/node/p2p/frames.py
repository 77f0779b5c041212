"""Frames: how messages travel on a stream.

A frame is a 4-byte big-endian length, one flag byte and the payload (`length` counts the payload as sent). Flag
bit 0: the payload is raw snappy (`cramjam.snappy`), as Ethereum's req/resp and gossip payloads are. The
uncompressed payload may be at most `MAX_PAYLOAD_SIZE` bytes (Ethereum's MAX_PAYLOAD_SIZE, 10 MiB): a frame that
announces more, compressed or not, is refused before it is read or decompressed, so a peer cannot make a node
allocate more than that for one message."""

from __future__ import annotations

import asyncio

import cramjam

from stakework.spec.errors import StakeworkError

MAX_PAYLOAD_SIZE = 10 * 2**20
"""Spec (p2p-interface.md, Electra): MAX_PAYLOAD_SIZE = 10485760, the largest uncompressed message."""
FLAG_SNAPPY = 0x01
HEADER_SIZE = 5
COMPRESS_ABOVE = 512
"""Payloads at least this long are compressed when the connection uses snappy (smaller ones gain nothing)."""


class FrameError(StakeworkError):
    """A frame that breaks the framing rules (too large, unknown flags, bad snappy data): the peer is faulty."""


def _snappy_length(data: bytes) -> int:
    """The uncompressed length a raw snappy block announces (its varint preamble)."""
    value = shift = 0
    for i, byte in enumerate(data[:5]):
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value
        shift += 7
        if i == 4:
            break
    raise FrameError("snappy payload: unreadable length preamble")


def encode_frame(payload: bytes, *, snappy: bool = False) -> bytes:
    """The frame carrying `payload` (compressed when `snappy` and it is worth it). FrameError when too large."""
    if len(payload) > MAX_PAYLOAD_SIZE:
        raise FrameError(f"message of {len(payload)} bytes is over MAX_PAYLOAD_SIZE ({MAX_PAYLOAD_SIZE})")
    flags = 0
    if snappy and len(payload) >= COMPRESS_ABOVE:
        payload = bytes(cramjam.snappy.compress_raw(payload))
        flags = FLAG_SNAPPY
    return len(payload).to_bytes(4, "big") + bytes([flags]) + payload


def decode_payload(flags: int, body: bytes) -> bytes:
    """The message bytes of a frame's body. FrameError for unknown flags, an announced size over the limit or
    snappy data that does not decompress to what it announced."""
    if flags & ~FLAG_SNAPPY:
        raise FrameError(f"frame with unknown flags 0x{flags:02x}")
    if not flags & FLAG_SNAPPY:
        return body
    announced = _snappy_length(body)
    if announced > MAX_PAYLOAD_SIZE:
        raise FrameError(f"snappy payload announces {announced} bytes, over MAX_PAYLOAD_SIZE ({MAX_PAYLOAD_SIZE})")
    try:
        out = bytes(cramjam.snappy.decompress_raw(body))
    except Exception as exc:  # cramjam raises its own DecompressionError
        raise FrameError(f"snappy payload does not decompress ({exc})") from None
    if len(out) != announced:
        raise FrameError("snappy payload decompresses to another length than it announced")
    return out


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    """Read one frame and return its message bytes. FrameError for a frame against the rules;
    asyncio.IncompleteReadError when the stream ends."""
    header = await reader.readexactly(HEADER_SIZE)
    length = int.from_bytes(header[:4], "big")
    if length > MAX_PAYLOAD_SIZE:
        raise FrameError(f"frame of {length} bytes is over MAX_PAYLOAD_SIZE ({MAX_PAYLOAD_SIZE})")
    body = await reader.readexactly(length)
    return decode_payload(header[4], body)
