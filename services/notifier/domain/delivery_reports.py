"""Parsing the SMS provider's delivery-report callback (46elks: id, status, delivered)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import parse_qs

Status = Literal["sent", "delivered", "failed"]
STATUSES: tuple[str, ...] = ("sent", "delivered", "failed")
_PROVIDER_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


class ReportError(ValueError):
    """A delivery report that cannot be understood; the message says what is wrong."""


@dataclass(frozen=True)
class DeliveryReport:
    provider_id: str
    status: Status
    delivered_at: dt.datetime | None = None


def _fields(content_type: str, body: bytes) -> dict[str, object]:
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json":
        try:
            data = json.loads(body or b"null")
        except ValueError as exc:
            raise ReportError(f"body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ReportError("JSON body must be an object with id, status and (if delivered) delivered")
        return data
    if media in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ReportError(f"body is not a valid form (application/x-www-form-urlencoded): {exc}") from exc
        return {k: v[0] for k, v in pairs.items()}
    raise ReportError(
        f"unsupported content-type {media!r}; send application/x-www-form-urlencoded or application/json"
    )


def _timestamp(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise ReportError("field 'delivered' must be a timestamp string, e.g. 2026-11-23T09:57:23.741000")
    try:
        ts = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ReportError(f"field 'delivered': {value[:40]!r} is not an ISO 8601 timestamp") from exc
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)  # 46elks sends UTC without offset


def parse_report(content_type: str, body: bytes) -> DeliveryReport:
    """Validate a delivery report body; raise ReportError naming the faulty field."""
    fields = _fields(content_type, body)
    provider_id, status = fields.get("id"), fields.get("status")
    if not isinstance(provider_id, str) or not provider_id:
        raise ReportError("field 'id' (the provider's message id) is required")
    if not _PROVIDER_ID.match(provider_id):
        raise ReportError("field 'id' must be 1-100 letters, digits or _.:- characters")
    if status not in STATUSES:
        raise ReportError(f"field 'status' must be one of {', '.join(STATUSES)}")
    delivered = fields.get("delivered")
    delivered_at = _timestamp(delivered) if delivered not in (None, "") else None
    return DeliveryReport(provider_id, status, delivered_at)  # type: ignore[arg-type]
