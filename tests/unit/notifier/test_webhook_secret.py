"""The delivery-report URL given to 46elks carries the webhook secret; without one, no callback URL."""

from __future__ import annotations

import pytest

from services.config.env import SettingsError
from services.notifier.elks import callback_url
from services.notifier.settings import NotifierSettings


def test_the_callback_url_carries_the_secret_as_a_query_parameter() -> None:
    assert callback_url("https://t.example.se/v1/sms/delivery-reports", "s3cr3t/+x") == (
        "https://t.example.se/v1/sms/delivery-reports?secret=s3cr3t%2F%2Bx"
    )
    assert callback_url("https://t.example.se/r?a=1", "abc").endswith("?a=1&secret=abc")


def test_a_delivery_report_url_without_a_long_enough_secret_stops_the_notifier() -> None:
    env = {"ELKS_DELIVERY_REPORT_URL": "https://t.example.se/v1/sms/delivery-reports"}
    with pytest.raises(SettingsError, match="NOTIFIER_WEBHOOK_SECRET"):
        NotifierSettings.from_env(env)
    with pytest.raises(SettingsError, match="at least 16"):
        NotifierSettings.from_env({**env, "NOTIFIER_WEBHOOK_SECRET": "short"})
    ok = NotifierSettings.from_env({**env, "NOTIFIER_WEBHOOK_SECRET": "x" * 24})
    assert ok.elks.webhook_secret == "x" * 24
