"""The fees module: the chain's transaction-fee settings, governable within bounds (issue #14).

It holds the values of ``MIN_TRANSACTION_FEE`` (every transaction's floor) and of the preset's module fee fields
``MODULE_MIN_FEE``, ``MODULE_KEY_FEE`` and ``POOL_REGISTRATION_FEE`` that this chain charges; a governance
proposal sets them within the bounds its definition declares. It has no messages of its own. A chain without it
charges the constant and the preset's values. (Its name is ``fees``: ``chain`` is reserved by the module store.)
See docs/modules.md, "Governance".
"""

MODULE = "fees"
