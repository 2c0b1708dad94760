"""The model's mechanisms: belief dynamics, negotiation, crises, the effect types of policy moves
and the structures they leave. They act on the world only through :class:`sim.mechanisms.world.World`."""
