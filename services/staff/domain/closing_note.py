"""What a clinician may write when completing a case (issue 26): pure rules, no IO.

The outcome is one of a closed set (``proto.events.OutcomeKind``). The advice is for the
patient to read later in their own case view: plain text in the patient's language, with no
link (a link in a message from 1177 is how fraud looks; the same rule as the SMS templates).
A booked visit names its clinic and its time. Each broken rule is one (JSON pointer, what to
do) pair, so the HTTP edge answers 422 problem+json naming every bad field.
"""

from __future__ import annotations

import datetime as dt

from proto.plain_text import first_link

ADVICE_MAX = 2000  # characters: a few paragraphs; the note is kept sealed in intake's memory per case
CLINIC_MAX = 120


def note_problems(
    outcome: str, advice: str, clinic: str | None, visit_at: dt.datetime | None
) -> list[tuple[str, str]]:
    """Every rule the completion breaks, as (pointer, detail); [] when it may be sent."""
    out: list[tuple[str, str]] = []
    if not advice.strip():
        out.append(("#/advice", "write the advice the patient can read later (plain text)"))
    elif (link := first_link(advice)) is not None:
        out.append(
            (
                "#/advice",
                f"contains a link or web address ({link!r}): write plain text without links, "
                "and name a service in words instead (e.g. 'ring 1177')",
            )
        )
    if clinic is not None and (link := first_link(clinic)) is not None:
        out.append(("#/clinic", f"contains a link or web address ({link!r}): give the clinic's name only"))
    if outcome == "booked_visit":
        if clinic is None or not clinic.strip():
            out.append(("#/clinic", "a booked visit needs the clinic's name, e.g. 'Vårdcentralen Gottsunda'"))
        if visit_at is None:
            out.append(
                ("#/visit_at", "a booked visit needs its time, RFC 3339, e.g. 2026-12-08T14:30:00+01:00")
            )
    elif visit_at is not None:
        out.append(
            ("#/visit_at", f"only a booked visit has a time; leave visit_at out for outcome {outcome!r}")
        )
    if visit_at is not None and visit_at.tzinfo is None:
        out.append(("#/visit_at", "give the time with its offset, e.g. 2026-12-08T14:30:00+01:00"))
    return out
