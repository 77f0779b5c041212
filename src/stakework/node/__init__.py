"""The node runtime: slot clock, networking, storage, mempool, validator client (side effects live here, never in
`transition/` or `modules/`)."""
