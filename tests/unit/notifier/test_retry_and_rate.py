"""Retry schedule and the provider rate limit (pure, with a fixed random source and clock)."""

import pytest

from services.notifier.domain.rate import TokenBucket
from services.notifier.domain.retry import RetryPolicy

POLICY = RetryPolicy(max_attempts=5, max_total_s=60, base_s=1, cap_s=8)


def test_backoff_doubles_per_attempt_up_to_the_cap_with_jitter_in_the_upper_half() -> None:
    low = [POLICY.next_delay(n, 0, None, lambda: 0.0) for n in range(1, 5)]
    high = [POLICY.next_delay(n, 0, None, lambda: 1.0) for n in range(1, 5)]
    assert low == [0.5, 1.0, 2.0, 4.0]
    assert high == [1.0, 2.0, 4.0, 8.0]
    assert RetryPolicy(max_attempts=20, cap_s=8, base_s=1).next_delay(10, 0, None, lambda: 1.0) == 8.0


def test_a_retry_after_from_the_provider_is_honoured() -> None:
    assert POLICY.next_delay(1, 0, 7.0, lambda: 0.5) == 7.0


def test_retries_stop_after_the_attempt_budget() -> None:
    assert POLICY.next_delay(5, 0, None, lambda: 0.5) is None


def test_retries_stop_when_the_next_wait_would_pass_the_time_budget() -> None:
    assert POLICY.next_delay(2, 59.5, None, lambda: 0.5) is None
    assert POLICY.next_delay(1, 10, 55.0, lambda: 0.5) is None


def test_a_nonsense_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_the_bucket_lets_a_burst_through_then_spaces_messages_at_the_rate() -> None:
    bucket = TokenBucket(rate_per_s=2, burst=2, now=0.0)
    waits = [bucket.reserve(0.0) for _ in range(5)]
    assert waits == [0.0, 0.0, 0.5, 1.0, 1.5]  # queued in order: nobody is dropped


def test_the_bucket_refills_while_idle_but_never_above_the_burst() -> None:
    bucket = TokenBucket(rate_per_s=1, burst=3, now=0.0)
    for _ in range(3):
        bucket.reserve(0.0)
    assert bucket.reserve(100.0) == 0.0
    assert [bucket.reserve(100.0) for _ in range(3)] == [0.0, 0.0, 1.0]
