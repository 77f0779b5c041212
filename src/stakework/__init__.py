"""stakework: proof-of-stake staking made real and inspectable.

Layers (imports only point downward): cli → conformance → transition → state → codec/crypto → spec.
"""

__version__ = "0.1.0"
