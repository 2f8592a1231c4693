"""Cryptography for federated learning (Paillier); a leaf package: imports nothing else of fate_flow."""
