"""The liquid staking module: stSWK (rebasing) and wstSWK (wrapped shares), modelled on Lido's stETH/wstETH.

Parts: state (:mod:`.state`), messages (:mod:`.messages`), handlers (:mod:`.handlers`), epoch hook
(:mod:`.epoch`), queries (:mod:`.queries`), invariants (:mod:`.invariants`), errors (:mod:`.errors`).
"""

MODULE = "liquid"
"""The module's name: ``host.module_address(MODULE)`` holds the buffer and unclaimed withdrawals."""
