"""The safety module: stake SWK or stSWK for stkSWK shares that earn an emission and cover shortfalls by being
slashed (anchors: Aave's Safety Module, ``StakedTokenV3`` / ``AaveDistributionManager``, and Aave Umbrella).

Parts: parameters (:mod:`.parameters`), the host interfaces it needs beyond ``ModuleHost`` (:mod:`.protocols`),
state (:mod:`.state`), messages (:mod:`.messages`), handlers (:mod:`.handlers`), epoch hook (:mod:`.epoch`),
queries (:mod:`.queries`), invariants (:mod:`.invariants`), errors (:mod:`.errors`); an in-memory stSWK ledger
for tests (:mod:`.testing`). See docs/modules.md, "Safety module".
"""

MODULE = "safety"
"""The module's name: ``host.module_address(MODULE)`` holds the staked SWK, the unclaimed rewards and (in the
liquid module's ledger) the staked stSWK shares."""
