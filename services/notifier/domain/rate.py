"""A token bucket for the provider's rate limit: callers wait their turn, nothing is dropped."""

from __future__ import annotations


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up.

    ``reserve`` always succeeds: it takes a token (going into debt if none is left) and
    says how long the caller must wait before using it. Debt queues callers first come,
    first served, which is the backpressure: senders slow down, no SMS is dropped.
    """

    def __init__(self, rate_per_s: float, burst: float, now: float) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate limit: messages per second must be > 0 and burst >= 1")
        self.rate = rate_per_s
        self.burst = burst
        self._tokens = burst
        self._last = now

    def reserve(self, now: float) -> float:
        """Take one token; return the seconds to wait before sending (0.0 when free now)."""
        self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate
