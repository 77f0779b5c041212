"""The governance module: staked-token voting on bounded parameter changes, modelled on Compound's Governor Bravo
with its Timelock.

Parts: the host Protocols it needs beyond :class:`~stakework.modules.host.ModuleHost` and the parameter specs
(:mod:`.host`), state and voting-power checkpoints (:mod:`.state`, :mod:`.votes`), messages (:mod:`.messages`),
handlers (:mod:`.handlers`), epoch hook (:mod:`.epoch`), queries (:mod:`.queries`), invariants
(:mod:`.invariants`), errors (:mod:`.errors`). See docs/modules.md, "Governance".
"""

MODULE = "governance"
"""The module's name; its own parameters are addressed as ``(MODULE, name)`` in proposal actions. Its messages are
tagged ``gov.<verb>``. Governance holds no money: it has no account of its own."""
