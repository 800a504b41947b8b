"""The SMS provider interface, its errors, and choosing an adapter from the settings."""

from __future__ import annotations

from typing import Protocol

from services.notifier.settings import NotifierSettings
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


def build_provider(settings: NotifierSettings) -> SmsProvider:
    """The adapter ``SMS_PROVIDER`` names (``outbox`` for dev, ``46elks`` for real)."""
    if settings.provider == "46elks":
        from services.notifier.elks import ElksProvider

        return ElksProvider(settings.elks, timeout_s=settings.request_timeout_s)
    from services.notifier.outbox import OutboxProvider

    return OutboxProvider(settings.outbox_path)
