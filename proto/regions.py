"""Sweden's 21 regions (ISO 3166-2:SE): the region ids that key every triage.* and queue.* topic.

One list for every service: intake validates submissions against it, the queue refuses
commands for a region that is not in it, and metrics bound their ``region`` label to it.
"""

from __future__ import annotations

REGIONS: dict[str, str] = {
    "SE-AB": "Stockholm",
    "SE-C": "Uppsala",
    "SE-D": "Södermanland",
    "SE-E": "Östergötland",
    "SE-F": "Jönköping",
    "SE-G": "Kronoberg",
    "SE-H": "Kalmar",
    "SE-I": "Gotland",
    "SE-K": "Blekinge",
    "SE-M": "Skåne",
    "SE-N": "Halland",
    "SE-O": "Västra Götaland",
    "SE-S": "Värmland",
    "SE-T": "Örebro",
    "SE-U": "Västmanland",
    "SE-W": "Dalarna",
    "SE-X": "Gävleborg",
    "SE-Y": "Västernorrland",
    "SE-Z": "Jämtland Härjedalen",
    "SE-AC": "Västerbotten",
    "SE-BD": "Norrbotten",
}


# Where 1177 direkt is enabled by default (per the 1177 direkt page, seeds/003): intake's
# INTAKE_ENABLED_REGIONS and the queue's QUEUE_TRANSFER_REGIONS fall back to it.
DEFAULT_ENABLED: frozenset[str] = frozenset(
    {"SE-W", "SE-I", "SE-F", "SE-H", "SE-G", "SE-M", "SE-C", "SE-AC", "SE-Y", "SE-T", "SE-E"}
)


def is_region(region: str) -> bool:
    """True for one of the 21 ISO 3166-2:SE region codes (exact, upper case: ``SE-C``)."""
    return region in REGIONS
