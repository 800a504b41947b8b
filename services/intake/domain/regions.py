"""Sweden's 21 regions (ISO 3166-2:SE) and where 1177 direkt is enabled by default."""

from __future__ import annotations

REGIONS: dict[str, str] = {
    "SE-AB": "Stockholm", "SE-C": "Uppsala", "SE-D": "Södermanland", "SE-E": "Östergötland",
    "SE-F": "Jönköping", "SE-G": "Kronoberg", "SE-H": "Kalmar", "SE-I": "Gotland",
    "SE-K": "Blekinge", "SE-M": "Skåne", "SE-N": "Halland", "SE-O": "Västra Götaland",
    "SE-S": "Värmland", "SE-T": "Örebro", "SE-U": "Västmanland", "SE-W": "Dalarna",
    "SE-X": "Gävleborg", "SE-Y": "Västernorrland", "SE-Z": "Jämtland Härjedalen",
    "SE-AC": "Västerbotten", "SE-BD": "Norrbotten",
}

# Per the 1177 direkt page (seeds/003); configuration (INTAKE_ENABLED_REGIONS) overrides it.
DEFAULT_ENABLED: frozenset[str] = frozenset(
    {"SE-W", "SE-I", "SE-F", "SE-H", "SE-G", "SE-M", "SE-C", "SE-AC", "SE-Y", "SE-T", "SE-E"}
)
