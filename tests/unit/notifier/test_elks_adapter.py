"""The 46elks adapter against the fake 46elks server over real HTTP on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from services.notifier.elks import ElksProvider, retry_after_seconds
from services.notifier.providers import PermanentProviderError, TransientProviderError
from services.notifier.settings import ElksSettings
from tests.support.fake_46elks import Fake46elks

pytestmark = pytest.mark.integration
PHONE = "+46701234567"


@pytest.fixture(scope="module")
def fake() -> Iterator[Fake46elks]:
    with Fake46elks() as server:
        yield server


def send(fake: Fake46elks, timeout_s: float = 2.0, password: str | None = None) -> str:
    async def go() -> str:
        provider = ElksProvider(
            ElksSettings(
                base_url=fake.base_url,
                username=fake.username,
                password=password or fake.password,
                sender="Vardguiden",
                delivery_report_url="http://127.0.0.1:1/v1/sms/delivery-reports",
            ),
            timeout_s=timeout_s,
        )
        try:
            return await provider.send("sms-1", "case-1", PHONE, "Det är din tur. Ring 1177 eller 112.")
        finally:
            await provider.close()

    return asyncio.run(go())


def test_an_accepted_sms_returns_the_46elks_id_and_sends_the_form_fields(fake: Fake46elks) -> None:
    fake.answer("ok")
    provider_id = send(fake)
    last = fake.received()[-1]
    assert provider_id.startswith("s") and provider_id == last.provider_id
    assert (last.to, last.sender, last.answered) == (PHONE, "Vardguiden", 200)
    assert last.message == "Det är din tur. Ring 1177 eller 112."
    assert last.whendelivered.endswith("/v1/sms/delivery-reports")


@pytest.mark.parametrize("behaviour", ["500", "503"])
def test_a_server_error_is_worth_retrying(fake: Fake46elks, behaviour: str) -> None:
    fake.answer(behaviour)
    with pytest.raises(TransientProviderError, match=behaviour):
        send(fake)


def test_too_many_requests_is_retried_after_the_retry_after_header(fake: Fake46elks) -> None:
    fake.answer("429")
    fake.retry_after_s = 7
    with pytest.raises(TransientProviderError) as err:
        send(fake)
    assert err.value.retry_after_s == 7.0


def test_an_invalid_number_is_permanent_and_the_error_never_shows_the_number(fake: Fake46elks) -> None:
    fake.answer("400")
    with pytest.raises(PermanentProviderError) as err:
        send(fake)
    assert "400" in str(err.value) and "701234567" not in str(err.value)


def test_wrong_credentials_are_permanent(fake: Fake46elks) -> None:
    fake.answer("ok")
    with pytest.raises(PermanentProviderError, match="401"):
        send(fake, password="wrong")


def test_a_provider_that_hangs_times_out_as_a_transient_error(fake: Fake46elks) -> None:
    fake.answer("hang")
    fake.hang_s = 5
    with pytest.raises(TransientProviderError, match="did not answer within"):
        send(fake, timeout_s=0.5)


def test_a_dropped_connection_is_a_transient_error(fake: Fake46elks) -> None:
    fake.answer("drop")
    with pytest.raises(TransientProviderError, match="connection failed"):
        send(fake)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    import datetime as dt

    now = dt.datetime(2026, 11, 23, 9, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("Mon, 23 Nov 2026 09:00:10 GMT", now) == 10.0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None


@pytest.mark.parametrize("echo", ["+46701234567", "46701234567", "%2B46701234567", "070-123 45 67"])
def test_a_provider_error_never_shows_the_number_however_the_provider_echoes_it(echo: str) -> None:
    err = PermanentProviderError(f"46elks answered 400: Invalid to number: {echo}")
    assert "400" in str(err) and "123" not in str(err) and "[phone]" in str(err)
