"""Staking products as native modules (pool, liquid; later safety, governance, amm, lending).

Every module is a package with the same parts: ``state.py`` (msgspec state), ``messages.py`` (tagged msgspec
transaction kinds), ``handlers.py`` (pure ``handle_<message>(state, host, sender, msg)``), ``epoch.py``
(``on_epoch(state, host)``), ``queries.py`` (read-only views), ``invariants.py`` (``check(state, host)``) and
``errors.py``. Modules see the chain only through :class:`stakework.modules.host.ModuleHost`. See docs/modules.md.
"""
