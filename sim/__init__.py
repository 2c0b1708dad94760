"""eurosec: a multi-agent negotiation simulator of European security."""

__version__ = "0.1.0"
