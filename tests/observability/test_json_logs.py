"""JSON log lines have the fixed fields and never carry a personnummer or phone number."""

from __future__ import annotations

import io
import logging

import orjson

from services.observability.json_logs import configure_logging, faust_logging_config, json_handler
from services.observability.redaction import redact


def _logger(stream: io.StringIO, name: str = "triage.test") -> logging.Logger:
    logger = logging.getLogger(name)
    logger.handlers[:] = [json_handler("queue", stream)]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger


def _lines(stream: io.StringIO) -> list[dict]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


def test_a_log_line_is_json_with_ts_level_service_logger_msg_and_the_case_id() -> None:
    stream = io.StringIO()
    _logger(stream).info("case %s called", "c0ffee", extra={"case_id": "c0ffee", "region": "SE-C"})
    [entry] = _lines(stream)
    assert entry["level"] == "info" and entry["service"] == "queue" and entry["logger"] == "triage.test"
    assert entry["msg"] == "case c0ffee called"
    assert entry["case_id"] == "c0ffee" and entry["region"] == "SE-C"
    assert entry["ts"].endswith("+00:00")


def test_a_line_without_a_case_has_no_case_id_field() -> None:
    stream = io.StringIO()
    _logger(stream).warning("broker slow")
    assert "case_id" not in _lines(stream)[0]


def test_personnummer_and_phone_in_message_args_and_exceptions_are_redacted() -> None:
    stream = io.StringIO()
    logger = _logger(stream)
    logger.info("bad submission %s", {"personnummer": "19800517-1004", "phone": "070-123 45 67"})
    try:
        raise ValueError("cannot parse +46701234567 for 198005171004")
    except ValueError:
        logger.exception("failed")
    text = stream.getvalue()
    for secret in ("19800517-1004", "070-123 45 67", "+46701234567", "198005171004"):
        assert secret not in text
    assert "[personnummer]" in text and "[phone]" in text
    assert "ValueError" in _lines(stream)[1]["exc"]


def test_redaction_leaves_case_ids_offsets_and_timestamps_alone() -> None:
    for text in (
        "case 3f2a19800517100499ab",
        "partition 7 offset 1234567890",
        "took 0.0123456789 s",
        "at 2026-11-23T09:14:56.123+00:00",
        "ts 1700000000123",
    ):
        assert redact(text) == text


def test_redaction_catches_every_personnummer_and_phone_spelling() -> None:
    for text in (
        "19800517-1004",
        "198005171004",
        "800517-1004",
        "8005171004",
        "19800577-1004",
        "070-123 45 67",
        "0701234567",
        "+46 70 123 45 67",
        "0046701234567",
    ):
        assert redact(f"x {text} y") in ("x [personnummer] y", "x [phone] y"), text


def test_configure_logging_routes_uvicorn_and_faust_loggers_through_the_json_handler() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("intake")
        stream = io.StringIO()
        root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
        logging.getLogger("uvicorn.error").info("Started server process")
        logging.getLogger("faust.worker").info("Starting...")
        assert [e["logger"] for e in _lines(stream)] == ["uvicorn.error", "faust.worker"]
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])


def test_faust_logging_config_is_a_valid_dict_config() -> None:
    import logging.config

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        logging.config.dictConfig(faust_logging_config("notifier"))
        assert root.handlers[0].formatter.service == "notifier"  # type: ignore[union-attr]
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
