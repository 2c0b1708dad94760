"""The model core: the replicate-vectorised state, the engine that runs the month, the event log."""
