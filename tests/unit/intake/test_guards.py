"""Pure guards of intake: token buckets, admission limits, the submission index, case tokens.

(Redaction is the shared module's: tests/observability/test_redaction.py.)"""

from __future__ import annotations

import pytest

from services.intake.domain.admission import AdmissionLimits, is_full
from services.intake.domain.case_access import case_token, derive_key, token_matches
from services.intake.domain.submission_index import Remembered, SubmissionIndex
from services.intake.domain.token_bucket import TokenBuckets


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


def test_a_region_over_its_depth_limit_is_full_except_for_prio_1() -> None:
    limits = AdmissionLimits(max_waiting=10)
    assert is_full(10, 3, limits) and not is_full(10, 1, limits)  # crowded
    assert not is_full(9, 4, limits) and not is_full(0, 3, limits)
    # a slow region is the time-frame rule's (tests/unit/intake/test_time_frames.py)


def test_the_index_keeps_the_first_decision_and_forgets_transient_ones() -> None:
    index = SubmissionIndex(max_entries=2)
    index.remember("s1", Remembered("queued", "c1", "SE-C", 2))
    index.remember("s1", Remembered("queued", "c9", "SE-C", 2))
    index.remember("s2", Remembered("full", None, "SE-C"))
    assert index.outcome("s1").case_id == "c1"  # type: ignore[union-attr]
    assert index.outcome("s2") is None
    index.remember("s3", Remembered("refer", None, "SE-C"))
    index.remember("s4", Remembered("refer", None, "SE-C"))
    assert len(index) == 2 and index.outcome("s1") is None


def test_the_log_overrules_a_decision_this_process_made_for_the_same_submission_id() -> None:
    index = SubmissionIndex()
    index.remember("s1", Remembered("queued", "mine", "SE-C", 2), provisional=True)
    index.remember("s1", Remembered("queued", "theirs", "SE-C", 2))  # another process was first in the log
    index.remember("s1", Remembered("queued", "mine", "SE-C", 2))  # ours, read back later: too late
    assert index.outcome("s1").case_id == "theirs"  # type: ignore[union-attr]


def test_a_case_token_opens_only_its_own_case_and_only_under_its_key() -> None:
    key = derive_key(b"k" * 32)
    token = case_token(key, "case-a")
    assert token_matches(key, "case-a", token)
    assert not token_matches(key, "case-b", token)
    assert not token_matches(derive_key(b"other-key" * 4), "case-a", token)
    assert not token_matches(key, "case-a", "")
    assert derive_key(b"k" * 32) != b"k" * 32  # never the pseudonym key itself


def test_a_submission_id_is_bound_to_its_request_not_to_its_wording() -> None:
    import datetime as dt

    from services.intake.domain.request_digest import check_same_request, request_digest
    from services.intake.domain.rules_file import load_rulebook
    from services.intake.domain.submission_form import InvalidSubmission, parse_submission
    from services.intake.settings import packaged_rules_path

    rules = load_rulebook(packaged_rules_path().read_text(encoding="utf-8"))
    body = {
        "region": "SE-C",
        "personnummer": "19900101-0017",
        "phone": "070-123 45 67",
        "symptom": "fever",
        "answers": {"days_with_fever": 2},
        "submission_id": "s1",
    }

    def digest(**changes: object) -> str:
        return request_digest(parse_submission({**body, **changes}, rules, today=dt.date(2026, 12, 5)), b"k")

    first = digest()
    assert digest(phone="+46701234567", personnummer="199001010017") == first  # the same, written otherwise
    assert digest(language="en") == first  # the words only; the replay keeps the first language
    changed = digest(answers={"days_with_fever": 2, "temperature_over_40": True})
    assert changed != first and digest(accept_long_wait=True) != first and digest(region="SE-M") != first
    assert request_digest(parse_submission(body, rules, today=dt.date(2026, 12, 5)), b"other key") != first
    check_same_request("s1", first, first)
    check_same_request("s1", "", changed)  # records from before digests: not checked
    with pytest.raises(InvalidSubmission) as refused:
        check_same_request("s1", first, changed)
    [error] = refused.value.errors
    assert (
        error.pointer == "#/submission_id" and "'s1' was already used for a different request" in error.detail
    )
