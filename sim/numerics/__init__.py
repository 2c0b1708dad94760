"""Numerics: compiled kernels, per-replicate random streams, the allocator tuning."""
