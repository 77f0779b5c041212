"""Chain scenarios on the real transition (exact mode): N validators from a devnet genesis driven epoch by epoch
through `stakework.transition`, with scheduled events (`exact.py`) and the staking modules' scenarios
(`modules.py`). The risk analyzer for real coins is `stakework.risk`."""
