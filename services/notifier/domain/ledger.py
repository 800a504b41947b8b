"""The SMS ledger: what has been promised, sent or given up, per notice (pure state).

Folded from ``notifier.sms-ledger`` records. It answers the two questions that make
sending effectively once: "has this notice already got an SMS (or one on its way)?"
and "which promised SMS did nobody finish?" (to re-drive them after a crash).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from proto.events import SmsLedgerEntry

Decision = Literal["send", "suppress"]


@dataclass
class SmsLedger:
    """notice event_id -> latest entry, and provider id -> notice event_id."""

    entries: dict[str, SmsLedgerEntry] = field(default_factory=dict)
    by_provider_id: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def apply(self, entry: SmsLedgerEntry) -> None:
        """Fold one record in. An entry never moves back (intent < outcome < announced
        outcome): our own writes are applied at once and read back later, out of turn."""
        current = self.entries.get(entry.notice_event_id)
        if current is not None and progress(entry) < progress(current):
            return
        self.entries[entry.notice_event_id] = entry
        if entry.provider_id:
            self.by_provider_id[entry.provider_id] = entry.notice_event_id

    def decide(self, notice_event_id: str) -> Decision:
        """A notice seen for the first time gets an SMS; any other is a replay or duplicate.

        A known notice whose SMS is still only an intent is not sent here: the sweep
        (``stale_intents``) re-drives it once its previous driver cannot still be sending.
        """
        return "send" if notice_event_id not in self.entries else "suppress"

    def get(self, notice_event_id: str) -> SmsLedgerEntry | None:
        return self.entries.get(notice_event_id)

    def by_provider(self, provider_id: str) -> SmsLedgerEntry | None:
        """The SMS the provider knows as ``provider_id`` (for delivery reports)."""
        key = self.by_provider_id.get(provider_id)
        return None if key is None else self.entries.get(key)

    def unfinished(
        self, partitions: set[int], now: dt.datetime, grace: dt.timedelta, busy: set[str]
    ) -> list[SmsLedgerEntry]:
        """Entries in ``partitions``, untouched for ``grace``, that nobody here works on and
        that still need work: an intent to send, or an outcome not yet announced.

        ``grace`` is longer than one provider request, so a previous owner of the
        partition (crashed or rebalanced away) has finished its last attempt by then.
        """
        return [
            e
            for e in self.entries.values()
            if progress(e) < 2
            and e.partition in partitions
            and e.notice_event_id not in busy
            and now - e.occurred_at >= grace
        ]


def progress(entry: SmsLedgerEntry) -> int:
    """0 = intent, 1 = outcome known, 2 = outcome announced on sms.events."""
    if entry.state == "intent":
        return 0
    return 2 if entry.announced else 1
