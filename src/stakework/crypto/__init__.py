"""Keys and signatures: BLS12-381 (blspy, Ethereum's proof-of-possession ciphersuite)."""
