"""The 46elks SMS adapter: ``POST {base}/a1/sms`` with HTTP Basic auth and form fields.

Classifies every outcome for the retry loop: 2xx -> the 46elks message id; 429 and 5xx,
timeouts and connection errors -> TransientProviderError (Retry-After honoured); other
4xx -> PermanentProviderError. The API has no idempotency key, so a timeout or a dropped
connection *after* 46elks accepted the SMS is retried and can duplicate it (docs/notifier.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
from urllib.parse import urlencode

import aiohttp
import orjson

from services.notifier.providers import PermanentProviderError, TransientProviderError
from services.notifier.settings import ElksSettings


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


class ElksProvider:
    name = "46elks"

    def __init__(self, settings: ElksSettings, timeout_s: float) -> None:
        self.settings = settings
        self.url = f"{settings.base_url}/a1/sms"
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # created on first use, inside the running loop
            token = base64.b64encode(f"{self.settings.username}:{self.settings.password}".encode()).decode()
            self._session = aiohttp.ClientSession(
                headers={"Authorization": f"Basic {token}"},
                timeout=self.timeout,
            )
        return self._session

    async def send(self, sms_id: str, case_id: str, to: str, message: str) -> str:
        """POST one SMS; return 46elks' id (``s...``)."""
        form = {"from": self.settings.sender, "to": to, "message": message}
        if self.settings.delivery_report_url:
            form["whendelivered"] = callback_url(
                self.settings.delivery_report_url, self.settings.webhook_secret
            )
        try:
            async with self._client().post(self.url, data=form) as resp:
                body = await resp.text()
                status, retry_after = resp.status, resp.headers.get("Retry-After")
        except TimeoutError:
            raise TransientProviderError(f"46elks did not answer within {self.timeout.total:.0f}s") from None
        except aiohttp.ClientError as exc:
            raise TransientProviderError(f"46elks connection failed: {type(exc).__name__}") from None
        if status == 429 or status >= 500:
            raise TransientProviderError(
                f"46elks answered {status}: {body[:200]}", retry_after_seconds(retry_after)
            )
        if status >= 400:
            raise PermanentProviderError(f"46elks answered {status}: {body[:200]}")
        try:
            provider_id = str(orjson.loads(body).get("id", ""))
        except (ValueError, AttributeError):
            provider_id = ""
        return provider_id

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def callback_url(url: str, secret: str) -> str:
    """The delivery-report URL with our webhook secret as ``secret`` query parameter."""
    if not secret:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode({'secret': secret})}"
