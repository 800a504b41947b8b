"""Dead-letter records: what could not be processed, with the reason in a header."""

from __future__ import annotations

from collections.abc import Iterable


def dead_letter_headers(
    error: str,
    source_topic: str,
    partition: int,
    offset: int,
    original: Iterable[tuple[str, bytes]] = (),
) -> list[tuple[str, bytes]]:
    """Headers for a DLQ record: the original headers plus ``error`` and where it came from."""
    headers = [(k, v) for k, v in original if k not in {"error", "dlq_source"}]
    headers += [
        ("error", error[:1000].encode()),
        ("dlq_source", f"{source_topic}/{partition}@{offset}".encode()),
    ]
    return headers
