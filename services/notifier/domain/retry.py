"""When to try an SMS again: exponential backoff with jitter, bounded in count and time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt n (1-based) failed transiently: wait about ``base * 2**(n-1)`` (capped), jittered.

    "Equal jitter": half the step is fixed, half random, so a herd of SMS that failed
    together (provider outage) spreads out but each still backs off.
    """

    max_attempts: int = 12
    max_total_s: float = 300.0
    base_s: float = 0.5
    cap_s: float = 30.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.max_total_s <= 0 or self.base_s <= 0 or self.cap_s < self.base_s:
            raise ValueError(
                "retry policy: need max_attempts >= 1, max_total_s > 0, base_s > 0 and cap_s >= base_s"
            )

    def next_delay(
        self, attempts: int, elapsed_s: float, retry_after_s: float | None, rand: Callable[[], float]
    ) -> float | None:
        """Seconds to wait before attempt ``attempts + 1``, or None to give up.

        ``retry_after_s`` (the provider's Retry-After) is honoured as given; if it, or the
        backoff, would end past ``max_total_s`` the SMS is given up rather than sent late.
        """
        if attempts >= self.max_attempts:
            return None
        if retry_after_s is not None:
            delay = max(0.0, retry_after_s)
        else:
            step = min(self.cap_s, self.base_s * 2 ** (attempts - 1))
            delay = step / 2 + rand() * step / 2
        if elapsed_s + delay > self.max_total_s:
            return None
        return delay
