"""The SMS provider interface and its errors (provider_choice.py picks an adapter)."""

from __future__ import annotations

import re
from typing import Protocol

_DIGIT_RUN = re.compile(r"\+?\d[\d \-]{5,}\d")


def redact(text: str) -> str:
    """``text`` with anything that looks like a phone number blanked (provider errors echo them)."""
    return _DIGIT_RUN.sub("<redacted>", text)


class ProviderError(Exception):
    """The provider did not take the SMS. ``str()`` never contains the phone number."""

    permanent = False

    def __init__(self, reason: str, retry_after_s: float | None = None) -> None:
        super().__init__(redact(reason))
        self.retry_after_s = retry_after_s


class TransientProviderError(ProviderError):
    """Worth trying again: 5xx, 429, timeout, connection refused or dropped."""


class PermanentProviderError(ProviderError):
    """Will fail again: 4xx (invalid number, bad credentials, rejected text)."""

    permanent = True


class SmsProvider(Protocol):
    name: str

    async def send(self, sms_id: str, case_id: str, to: str, message: str) -> str:
        """Hand one SMS over; return the provider's id for it, or raise ProviderError."""
        ...

    async def close(self) -> None: ...
