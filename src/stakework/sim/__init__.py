"""Chain scenarios on the real transition: N validators from a devnet genesis driven epoch by epoch through
`stakework.transition` by one epoch driver (`driver.py`), with scheduled events (the exact mode, `exact.py`) and
the staking modules' scenarios (`modules.py`). The risk analyzer for real coins is `stakework.risk`."""
