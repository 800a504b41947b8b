"""Pure guards of intake: redaction, token buckets, admission limits, the submission index."""

from __future__ import annotations

import logging

import pytest

from services.intake.domain.admission import AdmissionLimits, is_full
from services.intake.domain.redaction import redact
from services.intake.domain.submission_index import RecentCase, RecentCases, Remembered, SubmissionIndex
from services.intake.domain.token_bucket import TokenBuckets
from services.intake.log_redaction import PersonalDataFilter


@pytest.mark.parametrize("text", [
    "pnr 19900101-0017 here", "pnr 199001010017", "pnr 900101-0017", "pnr 9001010017", "pnr 900101+0017",
    "tel +46701234567", "tel +46 70 123 45 67", "tel 070-123 45 67", "tel 0701234567", "tel 0046701234567",
    "tel 070-1234567",
])
def test_personal_numbers_in_any_format_are_masked(text: str) -> None:
    masked = redact(text)
    assert not any(ch.isdigit() for ch in masked), masked


@pytest.mark.parametrize("text", ["case 3f2a9c0d1b7e4e55a0c1d2e3f4a5b6c7", "took 12 ms", "port 8080",
                                  "2026-11-23 09:19:12,123 INFO"])
def test_ids_timestamps_and_small_numbers_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_the_logging_filter_masks_formatted_messages_and_exceptions() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "bad %s", ("19900101-0017",), None)
    try:
        raise ValueError("phone +46701234567")
    except ValueError:
        import sys
        record.exc_info = sys.exc_info()
    PersonalDataFilter().filter(record)
    assert "19900101" not in record.getMessage()
    assert "+4670" not in (record.exc_text or "") and "[phone]" in (record.exc_text or "")


def test_a_client_gets_its_burst_then_waits_for_tokens() -> None:
    buckets = TokenBuckets(rate=2, burst=3)
    assert [buckets.take("a", 0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("a", 0.0) == pytest.approx(0.5)
    assert buckets.take("a", 0.5) == 0.0
    assert buckets.take("b", 0.5) == 0.0


def test_the_bucket_table_stays_bounded_under_a_flood_of_clients() -> None:
    buckets = TokenBuckets(rate=1, burst=1, max_clients=100)
    for i in range(10_000):
        buckets.take(f"client-{i}", float(i))
    assert len(buckets) == 100


def test_a_region_over_its_limits_is_full_except_for_prio_1() -> None:
    limits = AdmissionLimits(max_waiting=10, max_estimated_wait_s=3600)
    crowded = {"waiting": 10, "estimated_wait_seconds": {"3": 60.0}}
    slow = {"waiting": 2, "estimated_wait_seconds": {"1": 9000.0, "3": 9000.0, "4": None}}
    assert is_full(crowded, 3, limits) and not is_full(crowded, 1, limits)
    assert is_full(slow, 3, limits) and not is_full(slow, 1, limits)
    assert not is_full(slow, 4, limits)  # no estimate yet: admit
    assert not is_full({}, 3, limits)


def test_the_index_keeps_the_first_decision_and_forgets_transient_ones() -> None:
    index = SubmissionIndex(max_entries=2)
    index.remember("s1", Remembered("queued", "c1", "SE-C", 2))
    index.remember("s1", Remembered("queued", "c9", "SE-C", 2))
    index.remember("s2", Remembered("full", None, "SE-C"))
    assert index.outcome("s1").case_id == "c1"  # type: ignore[union-attr]
    assert index.outcome("s2") is None
    assert index.region_of("c1") == "SE-C"
    index.remember("s3", Remembered("refer", None, "SE-C"))
    index.remember("s4", Remembered("refer", None, "SE-C"))
    assert len(index) == 2 and index.outcome("s1") is None


def test_installed_redaction_masks_what_any_logger_writes() -> None:
    import io

    from services.intake.log_redaction import install_redaction

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    library = logging.getLogger("some.library")
    library.addHandler(handler)
    try:
        install_redaction()
        library.warning("retrying for %s at %s", "900101-0017", "+46 70 123 45 67")
    finally:
        library.removeHandler(handler)
    assert "0017" not in stream.getvalue() and "123 45" not in stream.getvalue()
    assert "[personnummer]" in stream.getvalue()


def test_a_recently_queued_person_is_found_only_within_the_window_and_region() -> None:
    recent = RecentCases(window_s=60, max_entries=10)
    recent.remember("SE-C", "p1", RecentCase("c1", 3, triaged_at=1000.0))
    assert recent.find("SE-C", "p1", now=1059.0) == RecentCase("c1", 3, 1000.0)
    assert recent.find("SE-C", "p1", now=1061.0) is None
    assert recent.find("SE-E", "p1", now=1001.0) is None
