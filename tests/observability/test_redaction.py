"""The one personal-data redactor: masks every spelling of a personnummer or Swedish phone,
and leaves ids, Kafka offsets and timestamps readable."""

from __future__ import annotations

import io
import logging

import pytest

from services.observability.json_logs import RedactionFilter, install_redaction
from services.observability.redaction import redact


@pytest.mark.parametrize(
    "text",
    [
        "pnr 19900101-0017 here",
        "pnr 199001010017",
        "pnr 900101-0017",
        "pnr 9001010017",
        "pnr 900101+0017",
        "samordningsnummer 19900161-0012",
        "tel +46701234567",
        "tel +46 70 123 45 67",
        "tel 070-123 45 67",
        "tel 0701234567",
        "tel 0046701234567",
        "tel 070-1234567",
        # the formats the edge review found readable in logs, and their friends
        "tel +46 (0)70-123 45 67",
        "tel 070.123.45.67",
        "tel 070/123 45 67",
        "tel +46 0701234567",
        "tel +46 8 123 456 78",
        # as an SMS provider's error text may echo the number it was sent (the notifier's errors)
        "Invalid to number: 46701234567",
        "to=%2B46701234567",
    ],
)
def test_personal_numbers_in_any_format_are_masked(text: str) -> None:
    masked = redact(text)
    assert not any(ch.isdigit() for ch in masked), masked


@pytest.mark.parametrize(
    "text",
    [
        "case 3f2a9c0d1b7e4e55a0c1d2e3f4a5b6c7",
        "case 3f2a19800517100499ab",
        "took 12 ms",
        "port 8080",
        "2026-11-23 09:19:12,123 INFO",
        "at 2026-11-23T09:14:56.123+00:00",
        "partition 7 offset 1234567890",
        "triage.events/3@1234567890",
        "offset=70123456789",
        "ts 1700000000123",
        "ce_time 1764489600",
        "took 0.0123456789 s",
        "version 0.7.12345678",
    ],
)
def test_ids_kafka_offsets_and_timestamps_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_the_logging_filter_masks_formatted_messages_and_exceptions() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "bad %s", ("19900101-0017",), None)
    try:
        raise ValueError("phone +46 (0)70-123 45 67")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    RedactionFilter().filter(record)
    assert "19900101" not in record.getMessage()
    assert "123 45" not in (record.exc_text or "") and "[phone]" in (record.exc_text or "")


def test_installed_redaction_masks_what_any_logger_writes() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    library = logging.getLogger("some.library")
    library.addHandler(handler)
    try:
        install_redaction()
        library.warning("retrying for %s at %s (offset %d)", "900101-0017", "070.123.45.67", 1234567890)
    finally:
        library.removeHandler(handler)
    assert "0017" not in stream.getvalue() and "123.45" not in stream.getvalue()
    assert "[personnummer]" in stream.getvalue() and "offset 1234567890" in stream.getvalue()
