"""The risk analyzer: what staking a real coin (ETH, SOL, ATOM, ADA, POL) earns and can lose, by route, in tokens
and in fiat (per-day vectorized Monte Carlo over each chain's own reward, lock-up and slashing rules). Depends on
`stakework.spec` only; the chain scenarios that drive the real transition live in `stakework.sim`."""
