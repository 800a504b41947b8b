"""Where 1177 direkt is enabled by default; the region list itself is the wire contract's."""

from __future__ import annotations

from proto.regions import REGIONS

__all__ = ["DEFAULT_ENABLED", "REGIONS"]

# Per the 1177 direkt page (seeds/003); configuration (INTAKE_ENABLED_REGIONS) overrides it.
DEFAULT_ENABLED: frozenset[str] = frozenset(
    {"SE-W", "SE-I", "SE-F", "SE-H", "SE-G", "SE-M", "SE-C", "SE-AC", "SE-Y", "SE-T", "SE-E"}
)
