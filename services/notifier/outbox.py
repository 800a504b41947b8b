"""The dev SMS provider: appends each SMS as a JSON Lines record to a file."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import orjson


class OutboxProvider:
    """Writes ``{sms_id, case_id, to, message, sent_at}`` lines; fsyncs each one.

    The append is synchronous (no await inside ``send``), so no other coroutine runs
    between "written" and the caller recording it.
    """

    name = "outbox"

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    async def send(self, sms_id: str, case_id: str, to: str, message: str) -> str:
        """Append the SMS; return the provider id (here: the sms id)."""
        line = (
            orjson.dumps(
                {
                    "sms_id": sms_id,
                    "case_id": case_id,
                    "to": to,
                    "message": message,
                    "sent_at": dt.datetime.now(dt.UTC).isoformat(),
                }
            )
            + b"\n"
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return sms_id

    async def close(self) -> None:
        return None
