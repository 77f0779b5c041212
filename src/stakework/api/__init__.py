"""The node's HTTP API: a beacon-API subset (same paths and JSON shapes as Ethereum's where stakework has the
concept), stakework's own endpoints under `/v1/`, server-sent events and Prometheus metrics (docs/api.md)."""
