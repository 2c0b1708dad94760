"""Experiments built on the eurosec model (option comparisons and sweeps)."""
