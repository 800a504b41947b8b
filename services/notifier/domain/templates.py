"""SMS texts per message kind and language: plain text, never a link (fraud risk)."""

from __future__ import annotations

import re

from proto.events import HeadsUp, YourTurn

_LINK = re.compile(r"(https?://|www\.|\b[\w-]+\.(se|com|nu|org|net)\b)", re.IGNORECASE)

TEMPLATES: dict[tuple[str, str], str] = {
    ("your_turn", "sv"): (
        "Det är din tur i 1177 direkt. Logga in i tjänsten nu för att få kontakt med vårdpersonal. "
        "Om du blir sämre, ring 1177. Vid livshotande tillstånd, ring 112."
    ),
    ("your_turn", "en"): (
        "It is your turn in 1177 direkt. Log in to the service now to talk to a nurse or doctor. "
        "If you get worse, call 1177. If it is life-threatening, call 112."
    ),
    ("heads_up", "sv"): (
        "Snart är det din tur i 1177 direkt (plats {position} i kön). Ha telefonen nära. "
        "Om du blir sämre, ring 1177. Vid livshotande tillstånd, ring 112."
    ),
    ("heads_up", "en"): (
        "Your turn in 1177 direkt is coming soon (number {position} in the queue). Keep your phone "
        "close. If you get worse, call 1177. If it is life-threatening, call 112."
    ),
}


class TemplateError(ValueError):
    """A template that must not be sent (contains a link, unknown placeholder)."""


def check_templates(templates: dict[tuple[str, str], str]) -> None:
    """Refuse any template containing a link or URL; called at startup."""
    for (kind, lang), text in templates.items():
        if _LINK.search(text):
            raise TemplateError(f"SMS template {kind}/{lang} contains a link; SMS must be plain text")


def render(notice: YourTurn | HeadsUp, templates: dict[tuple[str, str], str] = TEMPLATES) -> str:
    """The SMS text for a notice in the patient's language (Swedish when unknown)."""
    kind = "your_turn" if isinstance(notice, YourTurn) else "heads_up"
    lang = notice.language if (kind, notice.language) in templates else "sv"
    text = templates[(kind, lang)]
    return text.format(position=notice.position) if isinstance(notice, HeadsUp) else text
