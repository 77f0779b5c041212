"""The AMM module: a StableSwap pool of SWK and stSWK shares (anchor: Curve StableSwap, with StableSwap-NG's
rate-scaled "oracle" asset type for the stSWK side).

Parts: the StableSwap math (:mod:`.stableswap`: ``get_D``, ``get_y``, ``get_y_D``, ``get_p``, each operation's
result computed with its rounding towards the pool), the interfaces it asks of the chain (:mod:`.protocols`),
state (:mod:`.state`), messages (:mod:`.messages`), handlers (:mod:`.handlers`), the time-weighted price
(:mod:`.oracle`), epoch hook (:mod:`.epoch`), queries (:mod:`.queries`), invariants (:mod:`.invariants`), errors
(:mod:`.errors`), definition (:mod:`.definition`); an in-memory stSWK ledger for tests (:mod:`.testing`). See
docs/modules.md, "AMM".
"""

MODULE = "amm"
"""The module's name: ``host.module_address(MODULE)`` holds the pool's SWK, and (in the liquid module's ledger) its
stSWK shares, plus the admin fees not yet paid to the treasury."""
