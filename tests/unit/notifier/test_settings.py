"""Notifier settings from the environment: clear errors naming the variable."""

import pytest

from services.config.env import SettingsError
from services.notifier.settings import NotifierSettings


def test_the_defaults_use_the_outbox_provider() -> None:
    settings = NotifierSettings.from_env({})
    assert (settings.provider, settings.rate_per_s, settings.crash_after_send) == ("outbox", 10.0, 0)


@pytest.mark.parametrize(
    "env, says",
    [
        ({"SMS_PROVIDER": "twilio"}, "SMS_PROVIDER='twilio'"),
        ({"SMS_PROVIDER": "46elks"}, "ELKS_API_USERNAME"),
        ({"SMS_RATE_PER_S": "fast"}, "SMS_RATE_PER_S='fast': expected a number"),
        ({"SMS_RATE_PER_S": "0"}, "SMS_RATE_PER_S must be > 0"),
        ({"SMS_RETRY_MAX_ATTEMPTS": "0"}, "SMS_RETRY_"),
        ({"NOTIFIER_REDRIVE_GRACE_S": "5"}, "must exceed SMS_REQUEST_TIMEOUT_S"),
        ({"NOTIFIER_CRASH_POINT": "never"}, "NOTIFIER_CRASH_POINT"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable(env: dict[str, str], says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        NotifierSettings.from_env(env)
