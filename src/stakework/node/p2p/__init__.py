"""The node's network: length-prefixed msgspec frames over asyncio streams, a Status handshake, gossip with
validation before relay, request/response (status, blocks by range and by root, ping, goodbye) and peer scoring.
See docs/network.md for how it compares with Ethereum's consensus p2p spec."""
