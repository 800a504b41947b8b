"""The SMS provider interface and its errors (provider_choice.py picks an adapter)."""

from __future__ import annotations

from typing import Protocol

from services.observability.redaction import redact


class ProviderError(Exception):
    """The provider did not take the SMS. ``str()`` never contains the phone number (46elks
    echoes it in its error text): the shared personal-data redactor masks it."""

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
