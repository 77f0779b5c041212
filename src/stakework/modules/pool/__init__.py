"""The staking pool module: operators run validators for delegators, who hold shares of the pool's value.

Parts: state (:mod:`.state`), messages (:mod:`.messages`), handlers (:mod:`.handlers`), epoch hook
(:mod:`.epoch`), queries (:mod:`.queries`), invariants (:mod:`.invariants`), errors (:mod:`.errors`).
"""

MODULE = "pool"
"""The module's name: ``host.module_address(MODULE)`` holds every pool's buffer and unclaimed payouts."""
