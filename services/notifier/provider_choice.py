"""Choosing the SMS adapter from the settings.

Apart from providers.py (the interface), because the adapters import the interface: one module
holding both was an import cycle with elks.py.
"""

from __future__ import annotations

from services.notifier.providers import SmsProvider
from services.notifier.settings import NotifierSettings


def build_provider(settings: NotifierSettings) -> SmsProvider:
    """The adapter ``SMS_PROVIDER`` names (``outbox`` for dev, ``46elks`` for real)."""
    if settings.provider == "46elks":
        from services.notifier.elks import ElksProvider

        return ElksProvider(settings.elks, timeout_s=settings.request_timeout_s)
    from services.notifier.outbox import OutboxProvider

    return OutboxProvider(settings.outbox_path)
