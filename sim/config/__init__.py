"""The model's configuration: the typed schema, its loading through Hydra, and its compilation
into an immutable, validated :class:`~sim.config.spec.ModelSpec`."""

from sim.config.loading import CONFIG_DIR, config_groups, group_dirs, load_config

__all__ = ["CONFIG_DIR", "config_groups", "group_dirs", "load_config"]
