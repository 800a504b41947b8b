"""What the notifier does with one notice's SMS, as pure functions of the notice and its ledger
entries: send or skip, the intent to record, the events an outcome announces, whether the
patient's phone is deleted now, and what a delivery report means.

The edge (worker.py, sender.py, views.py) decodes each notice once, into a ``Sms``, and only
carries these decisions out: Kafka writes, the provider call, metrics and logs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Any, Literal, TypedDict

import msgspec

from proto import events as ev
from services.notifier.domain.delivery_reports import DeliveryReport
from services.notifier.domain.ledger import SmsLedger
from services.notifier.domain.templates import Templates, kind_of, render

Notice = ev.YourTurn | ev.HeadsUp | ev.CaseNotice
_IDS = uuid.UUID("6f1d3c1e-5b7a-4f0e-9a43-1177d12ec7a1")


def derived_id(*parts: str) -> str:
    """A deterministic event id, so a re-published event dedupes downstream."""
    return uuid.uuid5(_IDS, "/".join(parts)).hex


@dataclass(frozen=True)
class Sms:
    """One SMS being driven: its latest ledger entry and the notice it answers, decoded once."""

    entry: ev.SmsLedgerEntry
    notice: Notice

    def moved_on(self, entry: ev.SmsLedgerEntry) -> Sms:
        """The same SMS at another ledger entry (the notice does not change)."""
        return replace(self, entry=entry)

    def step(self, **changes: Any) -> Sms:
        """The SMS's next ledger entry: ``changes`` under a new event id and time (entries only
        move forward: services/notifier/domain/ledger.py)."""
        return self.moved_on(
            msgspec.structs.replace(self.entry, event_id=ev.new_id(), occurred_at=ev.utcnow(), **changes)
        )

    def sent(self, provider: str, provider_id: str, segments: int) -> Sms:
        """The provider took it: the "sent" entry, recorded right away."""
        return self.step(state="sent", provider=provider, provider_id=provider_id, segments=segments)

    def failed(self, provider: str, reason: str, permanent: bool) -> Sms:
        """It will not be sent: the "failed" entry (``permanent`` false: retries ran out)."""
        return self.step(state="failed", provider=provider, reason=reason, permanent=permanent)

    def text(self, templates: Templates) -> str:
        """The SMS text: the template of the notice's kind, in the patient's language."""
        return render(self.notice, templates)


def admit(ledger: SmsLedger, notice: Notice) -> Literal["send", "skip"]:
    """Send an SMS for ``notice``, or skip it: the ledger already has one for it (a replay)."""
    return "skip" if ledger.decide(notice.event_id) == "suppress" else "send"


def intent(notice: Notice, raw: str, partition: int, source: str, provider: str) -> Sms:
    """The intent entry for a new notice (``raw``: its record value), recorded before sending."""
    kind = kind_of(notice)
    entry = ev.SmsLedgerEntry(
        notice_event_id=notice.event_id,
        sms_id=derived_id(notice.event_id, "sms"),
        case_id=notice.case_id,
        kind=kind,  # type: ignore[arg-type]
        state="intent",
        partition=partition,
        notice=raw,
        source=source,
        provider=provider,
    )
    return Sms(entry, notice)


class _SmsNamed(TypedDict):
    """What every SMS outcome event (sent, failed, delivered) says first: which SMS, whose case,
    which provider, and an event id derived from the SMS and the outcome (a repeat dedupes)."""

    event_id: str
    sms_id: str
    case_id: str
    provider: str


def _sms_named(entry: ev.SmsLedgerEntry, outcome: str) -> _SmsNamed:
    """The SMS of ``entry`` named for its ``outcome`` event."""
    return _SmsNamed(
        event_id=derived_id(entry.sms_id, outcome),
        sms_id=entry.sms_id,
        case_id=entry.case_id,
        provider=entry.provider,
    )


def sent_event(sms: Sms) -> ev.SmsSent:
    """What a "sent" entry announces."""
    entry, notice = sms.entry, sms.notice
    return ev.SmsSent(
        **_sms_named(entry, "sent"),
        kind=entry.kind,
        provider_id=entry.provider_id,
        segments=entry.segments,
        trigger_event_id=entry.notice_event_id,
        trigger_at=notice.called_at if isinstance(notice, ev.YourTurn) else None,
    )


def failed_event(entry: ev.SmsLedgerEntry, undelivered: bool = False) -> ev.SmsFailed:
    """What a "failed" entry announces; ``undelivered``: what the provider's report that a sent
    SMS never arrived announces (a permanent failure, with its own event id)."""
    return ev.SmsFailed(
        **_sms_named(entry, "undelivered" if undelivered else "failed"),
        reason="the provider reported the SMS as not delivered" if undelivered else entry.reason,
        permanent=undelivered or entry.permanent,
    )


def not_reached(sms: Sms) -> ev.NotifyFailed | None:
    """The queue command for a your-turn SMS that finally failed (sent failing or reported
    undelivered): the called patient was not reached, so staff see it and phone them. Its
    request id derives from the SMS, so a repeated announce is answered once."""
    entry = sms.entry
    if entry.kind != "your_turn":
        return None
    rid = derived_id(entry.sms_id, "notify-failed")
    return ev.NotifyFailed(
        event_id=rid, region=sms.notice.region, request_id=rid, case_id=entry.case_id, sms_id=entry.sms_id
    )


def deletes_contact(notice: Notice) -> bool:
    """The case has left the system and this is its last SMS: the phone is deleted after it."""
    return isinstance(notice, ev.CaseNotice) and notice.final


@dataclass(frozen=True)
class ReportOutcome:
    """What a delivery report for a known SMS means: the event to publish, the SMS outcome to
    count, and (a your-turn SMS not delivered) the queue command for staff."""

    event: ev.SmsDelivered | ev.SmsFailed | None
    outcome: Literal["delivered", "failed"] | None
    command: ev.NotifyFailed | None = None


def report_outcome(sms: Sms, report: DeliveryReport) -> ReportOutcome:
    """The meaning of ``report`` for ``sms`` (its ledger entry the one the report's id names)."""
    entry = sms.entry
    if report.status == "delivered":
        delivered = ev.SmsDelivered(
            **_sms_named(entry, "delivered"), provider_id=report.provider_id, delivered_at=report.delivered_at
        )
        return ReportOutcome(delivered, "delivered")
    if report.status == "failed":
        return ReportOutcome(failed_event(entry, undelivered=True), "failed", not_reached(sms))
    return ReportOutcome(None, None)
