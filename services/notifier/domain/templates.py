"""SMS texts per message kind and language: plain text, never a link (fraud risk).

Kinds: ``your_turn``, ``heads_up``, the case notices of issue 14 (``cancelled`` by staff,
``transferred`` with ``{region_name}``, ``closed_no_show``) and of issue 25 (``past_frame_*``:
the waiting case will miss its time frame; where to go now) and of issue 22 (``forecast_moved``:
the wait forecast moved; the new range with ``{wait}``, "3–5 tim"). Operators may override texts with
a JSON file ``{"your_turn": {"sv": "...", "en": "..."}, "heads_up": {...}}`` (``NOTIFIER_TEMPLATES_PATH``); every text, built in or overridden, is
checked at startup and a bad one stops the notifier before it sends anything.
"""

from __future__ import annotations

import json
import re
import string
import typing

from proto.events import CaseNotice, HeadsUp, SmsKind, YourTurn
from proto.regions import REGIONS
from services.opening_hours.eta import WaitEstimate

Templates = dict[tuple[str, str], str]

KINDS: tuple[str, ...] = typing.get_args(SmsKind)  # your_turn, heads_up and the case notices
DEFAULT_LANGUAGE = "sv"
# Anything a phone would turn into a link: a scheme, www., or a host name with a TLD.
_LINK = re.compile(
    r"([a-z][a-z0-9+.-]*://|www\.|"
    r"\b[\w-]+(\.[\w-]+)*\.(se|com|nu|org|net|eu|io|info|app|link|ly|me|co|de|uk)\b)",
    re.IGNORECASE,
)
_PLACEHOLDERS = {
    "your_turn": set(),
    "heads_up": {"position"},
    "cancelled": set(),
    "transferred": {"region_name"},
    "closed_no_show": set(),
    "past_frame_emergency": set(),
    "past_frame_call_1177": set(),
    "past_frame_may_wait": set(),
    "forecast_moved": {"wait"},
}

TEMPLATES: Templates = {
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
    ("cancelled", "sv"): (
        "Vårdpersonalen har avslutat ditt ärende i 1177 direkt. Behöver du fortfarande vård, ring 1177. "
        "Vid livshotande tillstånd, ring 112."
    ),
    ("cancelled", "en"): (
        "The care staff closed your case in 1177 direkt. If you still need care, call 1177. "
        "If it is life-threatening, call 112."
    ),
    ("transferred", "sv"): (
        "Ditt ärende i 1177 direkt är flyttat till region {region_name}. Du behåller din plats. "
        "Om du blir sämre, ring 1177. Vid livshotande tillstånd, ring 112."
    ),
    ("transferred", "en"): (
        "Your case in 1177 direkt was moved to region {region_name}. You keep your place. "
        "If you get worse, call 1177. If it is life-threatening, call 112."
    ),
    ("closed_no_show", "sv"): (
        "Vi nådde dig inte i 1177 direkt trots flera försök, så ditt ärende är avslutat. "
        "Behöver du vård, ring 1177. Vid livshotande tillstånd, ring 112."
    ),
    ("closed_no_show", "en"): (
        "We could not reach you in 1177 direkt after several tries, so your case is closed. "
        "If you need care, call 1177. If it is life-threatening, call 112."
    ),
    # issue 25: a waiting case that will now miss its urgency's time frame (sent by intake)
    ("past_frame_emergency", "sv"): (
        "1177 direkt kan inte ringa upp dig så snart som ditt ärende behöver. "
        "Ring 112 eller åk till närmaste akutmottagning nu."
    ),
    ("past_frame_emergency", "en"): (
        "1177 direkt cannot call you back as soon as your case needs. "
        "Call 112 or go to the nearest emergency department now."
    ),
    ("past_frame_call_1177", "sv"): (
        "1177 direkt kan inte ringa upp dig inom den tid ditt ärende behöver. Ring 1177 nu, "
        "öppet dygnet runt. Vid livshotande tillstånd, ring 112."
    ),
    ("past_frame_call_1177", "en"): (
        "1177 direkt cannot call you back within the time your case needs. Call 1177 now, open "
        "around the clock. If it is life-threatening, call 112."
    ),
    ("past_frame_may_wait", "sv"): (
        "Väntetiden i 1177 direkt är nu längre än vanligt för ditt ärende. Du står kvar i kön. "
        "Vill du ha råd tidigare, ring 1177. Vid livsfara, ring 112."
    ),
    ("past_frame_may_wait", "en"): (
        "The wait in 1177 direkt is now longer than usual for your case. You keep your place. "
        "For advice sooner, call 1177. If it is life-threatening, call 112."
    ),
    # issue 22: the wait forecast moved by more than the range first shown (sent by intake, once)
    ("forecast_moved", "sv"): (
        "Ny väntetid i 1177 direkt: du blir oftast uppringd om {wait}. Du står kvar i kön. "
        "Blir du sämre, ring 1177. Vid livsfara, ring 112."
    ),
    ("forecast_moved", "en"): (
        "New wait in 1177 direkt: we will usually call you in {wait}. You keep your place. "
        "If you get worse, call 1177. If it is life-threatening, call 112."
    ),
}


class TemplateError(ValueError):
    """A template that must not be sent (contains a link, unknown placeholder, missing advice)."""


def check_templates(templates: Templates) -> None:
    """Refuse links, unknown placeholders, missing Swedish texts and texts without 1177/112."""
    for kind in KINDS:
        if (kind, DEFAULT_LANGUAGE) not in templates:
            raise TemplateError(f"SMS template {kind}/{DEFAULT_LANGUAGE} is missing (Swedish is the default)")
    for (kind, lang), text in templates.items():
        where = f"SMS template {kind}/{lang}"
        if kind not in KINDS:
            raise TemplateError(f"{where}: unknown kind; expected one of {', '.join(KINDS)}")
        if (m := _LINK.search(text)) is not None:
            raise TemplateError(f"{where} contains a link or URL ({m.group(0)!r}); SMS must be plain text")
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise TemplateError(f"{where}: broken placeholder braces: {exc}") from exc
        if unknown := names - _PLACEHOLDERS[kind]:
            allowed = ", ".join("{" + p + "}" for p in sorted(_PLACEHOLDERS[kind])) or "none"
            raise TemplateError(f"{where}: unknown placeholder(s) {sorted(unknown)}; allowed: {allowed}")
        if "1177" not in text or "112" not in text.replace("1177", ""):
            raise TemplateError(
                f"{where} must tell the patient to call 1177 if worse and 112 if life-threatening"
            )


def load_templates(override_json: str | None, base: Templates = TEMPLATES) -> Templates:
    """The built-in texts with the overrides from a JSON document applied, checked."""
    merged = dict(base)
    if override_json is not None:
        try:
            doc = json.loads(override_json)
        except ValueError as exc:
            raise TemplateError(f"template overrides are not valid JSON: {exc}") from exc
        if not isinstance(doc, dict) or not all(isinstance(v, dict) for v in doc.values()):
            raise TemplateError('template overrides must look like {"your_turn": {"sv": "...", "en": "..."}}')
        for kind, texts in doc.items():
            for lang, text in texts.items():
                if not isinstance(text, str):
                    raise TemplateError(f"SMS template {kind}/{lang} must be a string")
                merged[(kind, lang)] = text
    check_templates(merged)
    return merged


def kind_of(notice: YourTurn | HeadsUp | CaseNotice) -> str:
    """The message kind of a notice: ``your_turn``, ``heads_up`` or the case notice's kind."""
    if isinstance(notice, CaseNotice):
        return notice.kind
    return "your_turn" if isinstance(notice, YourTurn) else "heads_up"


def render(notice: YourTurn | HeadsUp | CaseNotice, templates: Templates = TEMPLATES) -> str:
    """The SMS text for a notice in the patient's language (Swedish when unknown)."""
    kind = kind_of(notice)
    lang = notice.language if (kind, notice.language) in templates else DEFAULT_LANGUAGE
    text = templates[(kind, lang)]
    if isinstance(notice, HeadsUp):
        return text.format(position=notice.position)
    if isinstance(notice, CaseNotice) and kind == "transferred":
        return text.format(region_name=REGIONS.get(notice.to_region, notice.to_region))
    if isinstance(notice, CaseNotice) and kind == "forecast_moved":
        wait = WaitEstimate(0.0, notice.wait_low_seconds, notice.wait_high_seconds, "forecast")
        return text.format(wait=wait.text(lang).replace("–", "-"))  # GSM-7 has no en dash
    return text
