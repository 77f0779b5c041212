"""The lending module: SWK and stSWK money markets with stSWK as collateral (anchors: Aave v3's ``Pool``,
``ReserveLogic``, ``DefaultReserveInterestRateStrategy``, ``LiquidationLogic`` and its wstETH e-mode).

Parts: parameters (:mod:`.parameters`), ray math and interest (:mod:`.ray`), the host interfaces it needs
(:mod:`.protocols`), the price oracle (:mod:`.oracle`), state (:mod:`.state`), messages (:mod:`.messages`), handlers
(:mod:`.handlers`), epoch hook (:mod:`.epoch`), queries (:mod:`.queries`), invariants (:mod:`.invariants`), errors
(:mod:`.errors`). See docs/modules.md, "Lending module".
"""

MODULE = "lending"
"""The module's name: ``host.module_address(MODULE)`` holds the SWK market's cash and (in the liquid module's
ledger) the stSWK market's cash, in stSWK shares."""
