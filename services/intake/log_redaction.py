"""A logging filter that masks personnummer- and phone-like numbers in every log record."""

from __future__ import annotations

import logging

from services.intake.domain.redaction import redact

_formatter = logging.Formatter()


class PersonalDataFilter(logging.Filter):
    """Rewrites the record's message (and exception text) with personal numbers masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the raw template
            message = str(record.msg)
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction() -> PersonalDataFilter:
    """Attach the filter to every handler there is now (root, uvicorn, litestar...).

    Filters on handlers see records from every logger that propagates to them, which
    filters on loggers would not. Call again after logging is reconfigured.
    """
    flt = PersonalDataFilter()
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    for lg in loggers:
        for handler in lg.handlers:
            if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
                handler.addFilter(flt)
    return flt
