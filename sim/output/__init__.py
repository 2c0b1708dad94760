"""Output: recording trajectories as tidy tables, writing files with their metadata, figures, narratives."""

from sim.output.files import read_metadata

__all__ = ["read_metadata"]
