"""Mesa agents for eurosec actors and their decision strategies."""
