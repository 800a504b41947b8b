"""The one environment reader: one error type, naming the variable and the form it expects."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from services.config.env import EnvReader, SettingsError
from services.forecast.settings import ForecastSettings
from services.intake.settings import IntakeSettings
from services.kafka.settings import KafkaSettings
from services.notifier.settings import NotifierSettings
from services.queue.settings import QueueSettings

ROOT = Path(__file__).resolve().parents[3]


def test_unset_and_blank_numbers_take_their_default() -> None:
    read = EnvReader({"B": "  "})
    assert (read.int("A", 7), read.int("B", 8), read.float("A", 0.5), read.float("B", 1.5)) == (
        7,
        8,
        0.5,
        1.5,
    )


def test_a_number_is_parsed_and_kept_within_its_bounds() -> None:
    read = EnvReader({"N": " 12 ", "X": "2.5"})
    assert read.int("N", 0, minimum=1, maximum=64) == 12
    assert read.float("X", 0, above=0) == 2.5
    with pytest.raises(SettingsError, match=r"^N='12': expected a whole number from 1 to 10$"):
        read.int("N", 0, minimum=1, maximum=10)
    with pytest.raises(SettingsError, match=r"^X='2.5': expected a number >= 3$"):
        read.float("X", 0, minimum=3)


@pytest.mark.parametrize(
    "read, says",
    [
        (lambda r: r.int("V", 1), r"^V='x1': expected a whole number$"),
        (lambda r: r.float("V", 1), r"^V='x1': expected a number$"),
        (lambda r: r.flag("V", False), r"^V='x1': expected 1/true/yes/on or 0/false/no/off$"),
        (lambda r: r.choice("V", "a", ("a", "b")), r"^V='x1': expected one of a, b$"),
    ],
)
def test_a_malformed_value_names_the_variable_the_value_and_the_expected_form(read, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SettingsError, match=says):
        read(EnvReader({"V": "x1"}))


def test_flags_choices_and_lists() -> None:
    read = EnvReader({"F": "Off", "T": "yes", "C": "ON", "L": " SE-C, ,SE-AB "})
    assert (read.flag("F", True), read.flag("T", False), read.flag("U", True)) == (False, True, True)
    assert read.choice("C", "auto", ("auto", "on", "off"), lower=True) == "on"
    assert read.csv("L") == {"SE-C", "SE-AB"} and read.csv("U") == frozenset()


def test_a_set_but_empty_key_stays_empty_rather_than_falling_back_to_the_dev_key() -> None:
    assert EnvReader({"K": ""}).base64("K", "ZGV2") == b""
    assert EnvReader({}).base64("K", "ZGV2") == b"dev"


@pytest.mark.parametrize(
    "settings, env, variable",
    [
        (IntakeSettings, {"INTAKE_PORT": "eighty"}, "INTAKE_PORT"),
        (IntakeSettings, {"INTAKE_WORKERS": "65"}, "INTAKE_WORKERS"),
        (QueueSettings, {"QUEUE_BATCH_MAX_RECORDS": "many"}, "QUEUE_BATCH_MAX_RECORDS"),
        (NotifierSettings, {"SMS_MAX_PENDING": "1e3"}, "SMS_MAX_PENDING"),
        (ForecastSettings, {"FORECAST_RUNS": "2"}, "FORECAST_RUNS"),
        (KafkaSettings, {"KAFKA_FETCH_MAX_WAIT_MS": "soon"}, "KAFKA_FETCH_MAX_WAIT_MS"),
        (KafkaSettings, {"TRIAGE_BROKER_PORT": "70000"}, "TRIAGE_BROKER_PORT"),
    ],
)
def test_every_settings_module_refuses_a_bad_number_with_the_one_error_naming_it(
    settings: type, env: dict[str, str], variable: str
) -> None:
    with pytest.raises(SettingsError, match=f"^{variable}="):
        settings.from_env(env)


def test_no_other_module_defines_its_own_settings_error() -> None:
    own = sorted(
        f"{path.relative_to(ROOT)}: {node.name}"
        for path in (ROOT / "services").rglob("*.py")
        if path != ROOT / "services" / "config" / "env.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef) and node.name.endswith("SettingsError")
    )
    assert not own, f"use services.config.env.SettingsError instead: {own}"
