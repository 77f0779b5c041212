"""Economic models of staking real proof-of-stake coins: chain reward rules, staking routes, price paths and a
vectorized Monte Carlo (aggregate mode), with reports and plots. Floats live here (and in display) only."""
