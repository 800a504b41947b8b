"""The SMS ledger: which notices already have their SMS and which were left unfinished."""

import datetime as dt

from proto.events import SmsLedgerEntry, utcnow
from services.notifier.domain.ledger import SmsLedger

NOW = utcnow()
GRACE = dt.timedelta(seconds=10)


def entry(
    notice: str, state: str = "intent", age_s: float = 60, partition: int = 0, **kw: object
) -> SmsLedgerEntry:
    return SmsLedgerEntry(
        notice_event_id=notice,
        sms_id="sms-" + notice,
        case_id="case-" + notice,
        kind="your_turn",
        state=state,
        partition=partition,  # type: ignore[arg-type]
        occurred_at=NOW - dt.timedelta(seconds=age_s),
        **kw,
    )  # type: ignore[arg-type]


def test_a_new_notice_is_sent_and_a_replayed_one_is_not() -> None:
    ledger = SmsLedger()
    assert ledger.decide("n1") == "send"
    ledger.apply(entry("n1"))
    assert ledger.decide("n1") == "suppress"
    ledger.apply(entry("n1", "sent", provider_id="s1"))
    assert ledger.decide("n1") == "suppress"


def test_an_outcome_is_never_undone_by_its_intent_read_back_late() -> None:
    ledger = SmsLedger()
    ledger.apply(entry("n1", "sent", provider_id="s1", announced=True))
    ledger.apply(entry("n1", "intent"))
    ledger.apply(entry("n1", "sent", provider_id="s1"))
    assert ledger.get("n1").state == "sent" and ledger.get("n1").announced  # type: ignore[union-attr]


def test_a_delivery_report_finds_its_sms_by_the_provider_id() -> None:
    ledger = SmsLedger()
    ledger.apply(entry("n1", "sent", provider_id="s-abc"))
    assert ledger.by_provider("s-abc").case_id == "case-n1"  # type: ignore[union-attr]
    assert ledger.by_provider("s-unknown") is None


def test_unfinished_sms_are_old_intents_and_unannounced_outcomes_in_our_partitions() -> None:
    ledger = SmsLedger()
    for e in [
        entry("old-intent"),
        entry("fresh-intent", age_s=1),
        entry("other-partition", partition=5),
        entry("busy"),
        entry("sent-unannounced", "sent"),
        entry("done", "sent", announced=True),
        entry("failed-unannounced", "failed"),
    ]:
        ledger.apply(e)
    found = {e.notice_event_id for e in ledger.unfinished({0}, NOW, GRACE, busy={"busy"})}
    assert found == {"old-intent", "sent-unannounced", "failed-unannounced"}
