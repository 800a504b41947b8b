"""Structured JSON logs (orjson): one object per line with ts, level, service, logger, msg,
and case_id when the record carries one (``log.info(..., extra={"case_id": ...})``).

Every record passes the redaction filter before it is formatted; uvicorn's and faust's
loggers propagate to the root handler set up here.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
from typing import Any

import orjson

from services.observability.redaction import redact

# Attributes of a LogRecord that are not user ``extra`` fields.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_EXTRA_FIELDS = ("case_id", "region", "urgency", "topic", "partition", "offset", "event_type")


class RedactionFilter(logging.Filter):
    """Rewrites the message (args merged in) and exception text with personal data removed."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.exc_info = None  # formatted (and redacted) above; never re-rendered in clear
        return True


def install_redaction() -> RedactionFilter:
    """Attach the redaction filter to every handler there is now (root, uvicorn, litestar...).

    Filters on handlers see records from every logger that propagates to them, which filters
    on loggers would not. Call again after logging is reconfigured.
    """
    flt = RedactionFilter()
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in lg.handlers:
            if not any(isinstance(f, RedactionFilter) for f in handler.filters):
                handler.addFilter(flt)
    return flt


class JsonFormatter(logging.Formatter):
    """One JSON object per line; field names fixed (docs/observability.md)."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in _EXTRA_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value if isinstance(value, (int, float)) else redact(str(value))
        if record.exc_text:
            entry["exc"] = record.exc_text
        return orjson.dumps(entry, default=str).decode()


def json_handler(service: str, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) with the redaction filter and the JSON formatter."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactionFilter())
    handler.setFormatter(JsonFormatter(service))
    return handler


def configure_logging(service: str, level: int | str = logging.INFO) -> None:
    """Send every logger (ours, uvicorn's, faust's, aiokafka's) as JSON to stderr."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(json_handler(service))
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "faust", "mode", "aiokafka", "litestar"):
        lib = logging.getLogger(name)
        lib.handlers.clear()
        lib.propagate = True


def faust_logging_config(service: str, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for faust's Worker (it applies its own at start-up)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactionFilter}},
        "formatters": {"json": {"()": JsonFormatter, "service": service}},
        "handlers": {
            "json": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "filters": ["redact"],
                "formatter": "json",
            }
        },
        "root": {"level": level, "handlers": ["json"]},
    }
