"""Encoding and decoding of records: msgspec JSON values, CloudEvents 1.0 binary-mode headers.

Encoders and decoders are built once at import (they hold no IO) and reused, as
msgspec's performance notes advise.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Generic, TypeVar

import msgspec

from proto import catalog
from proto import events as ev

CONTENT_TYPE = b"application/json"
SPEC_VERSION = b"1.0"

_encoder = msgspec.json.Encoder()
T = TypeVar("T")

Headers = list[tuple[str, bytes]]


class DecodeError(ValueError):
    """A record that is not a valid message of the expected kind; it goes to the DLQ."""


def _rfc3339(ts: dt.datetime) -> bytes:
    return ts.astimezone(dt.UTC).isoformat().replace("+00:00", "Z").encode()


def encode(message: ev.Message) -> bytes:
    """The record value: the message as JSON (tag included in the ``type`` field)."""
    return _encoder.encode(message)


def encode_for(topic: str, message: ev.Message) -> bytes:
    """The record value of ``message`` on contract topic ``topic`` (its name without namespace).

    Every writer in services/ encodes through this (a unit test holds it so): a message that
    ``proto.catalog.TOPIC_MESSAGES`` does not declare on that topic, and so the AsyncAPI document
    does not list on its channel, raises ``catalog.UndeclaredMessage`` instead of going out.
    """
    catalog.require_declared(topic, message)
    return _encoder.encode(message)


@functools.cache
def _ce_type(cls: type[ev.Message]) -> bytes:
    # msgspec.inspect.type_info costs ~200 us a call; the tag never changes per class.
    return str(msgspec.inspect.type_info(cls).tag).encode()  # type: ignore[attr-defined]


def cloudevent_headers(message: ev.Message, source: str) -> Headers:
    """CloudEvents 1.0 Kafka binding, binary mode, for this message."""
    return [
        ("ce_specversion", SPEC_VERSION),
        ("ce_id", message.event_id.encode()),
        ("ce_type", _ce_type(type(message))),
        ("ce_source", source.encode()),
        ("ce_time", _rfc3339(message.occurred_at)),
        ("content-type", CONTENT_TYPE),
    ]


class Decoder(Generic[T]):
    """Decodes record values of one topic into its union of message types."""

    def __init__(self, kind: Any) -> None:
        self._decoder: msgspec.json.Decoder[T] = msgspec.json.Decoder(kind)

    def decode(self, value: bytes | None) -> T:
        """Decode and validate; raise DecodeError with a readable message on any fault."""
        if value is None:
            raise DecodeError("empty record value (null); expected a JSON message")
        try:
            return self._decoder.decode(value)
        except msgspec.ValidationError as exc:
            raise DecodeError(f"invalid message: {exc}") from exc
        except msgspec.DecodeError as exc:
            raise DecodeError(f"malformed JSON: {exc}") from exc


TRIAGE_EVENTS = Decoder[ev.CaseTriaged | ev.CaseReferred](ev.TRIAGE_EVENT)
QUEUE_COMMANDS = Decoder[
    ev.ServeNext
    | ev.CancelCase
    | ev.Reprioritise
    | ev.TransferCase
    | ev.MarkNoShow
    | ev.CompleteCase
    | ev.SetOpeningHours
](ev.QUEUE_COMMAND)
QUEUE_EVENTS = Decoder[Any](ev.QUEUE_EVENT)
PATIENT_NOTICES = Decoder[ev.YourTurn | ev.HeadsUp | ev.CaseNotice](ev.PATIENT_NOTICE)
CONTACT_CARDS = Decoder[ev.ContactCard](ev.ContactCard)
SUBMISSIONS = Decoder[ev.TriageSubmission](ev.TriageSubmission)
TRIAGE_RESULTS = Decoder[ev.TriageResult](ev.TriageResult)
SMS_EVENTS = Decoder[ev.SmsSent | ev.SmsFailed | ev.SmsDelivered](ev.SMS_EVENT)
AUDIT_EVENTS = Decoder[ev.AuditRecorded](ev.AuditRecorded)
WAIT_FORECASTS = Decoder[ev.WaitForecast](ev.WaitForecast)
