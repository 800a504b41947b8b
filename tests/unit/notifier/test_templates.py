"""SMS templates: plain text with the safety advice, never a link."""

import json

import pytest

from proto.events import CaseNotice, HeadsUp, YourTurn, utcnow
from services.notifier.domain.templates import TEMPLATES, TemplateError, load_templates, render

ADVICE = " Ring 1177 om du blir sämre, 112 vid livsfara."


def your_turn(language: str) -> YourTurn:
    return YourTurn(
        case_id="c1", region="SE-C", urgency=3, clinician_id="n", called_at=utcnow(), language=language
    )


def test_a_patient_gets_the_text_in_their_language_and_swedish_when_it_is_unknown() -> None:
    assert render(your_turn("en")).startswith("It is your turn")
    assert render(your_turn("sv")).startswith("Det är din tur")
    assert render(your_turn("fi")).startswith("Det är din tur")


def test_heads_up_tells_the_patient_their_place_in_the_queue() -> None:
    text = render(HeadsUp(case_id="c1", region="SE-C", position=2))
    assert "plats 2 i kön" in text


def test_every_built_in_text_tells_what_to_do_and_to_call_1177_or_112() -> None:
    for text in TEMPLATES.values():
        assert "1177" in text and "112" in text


@pytest.mark.parametrize(
    "link",
    [
        "https://1177.se",
        "http://x.io/a",
        "www.1177.se",
        "1177.se",
        "bit.ly/abc",
        "sms://+4670",
        "HTTPS://EXAMPLE.COM",
    ],
)
def test_an_override_with_a_link_is_refused(link: str) -> None:
    with pytest.raises(TemplateError, match="contains a link or URL"):
        load_templates(json.dumps({"your_turn": {"sv": f"Din tur: {link}." + ADVICE}}))


def test_an_override_replaces_one_text_and_keeps_the_others() -> None:
    merged = load_templates(
        json.dumps({"heads_up": {"en": "Soon, you are number {position}. Call 1177 or 112."}})
    )
    assert merged[("heads_up", "en")].startswith("Soon")
    assert merged[("your_turn", "sv")] == TEMPLATES[("your_turn", "sv")]


@pytest.mark.parametrize(
    "override, says",
    [
        ({"your_turn": {"sv": "Din tur, {name}." + ADVICE}}, "unknown placeholder"),
        ({"your_turn": {"sv": "Din tur {." + ADVICE}}, "broken placeholder"),
        ({"your_turn": {"sv": "Din tur. Logga in nu."}}, "1177"),
        ({"reminder": {"sv": "Hej." + ADVICE}}, "unknown kind"),
        ({"your_turn": {"sv": 5}}, "must be a string"),
    ],
)
def test_an_unsafe_or_broken_override_is_refused_with_the_reason(override: dict, says: str) -> None:
    with pytest.raises(TemplateError, match=says):
        load_templates(json.dumps(override))


def test_overrides_that_are_not_json_are_refused() -> None:
    with pytest.raises(TemplateError, match="not valid JSON"):
        load_templates("{your_turn")


def test_the_forecast_moved_text_gives_the_new_range_in_plain_words() -> None:
    def moved(language: str) -> str:
        return render(
            CaseNotice(
                event_id="forecast-moved-c1",
                case_id="c1",
                region="SE-C",
                kind="forecast_moved",
                language=language,
                wait_low_seconds=3 * 3600.0,
                wait_high_seconds=5 * 3600.0,
            )
        )

    assert "oftast uppringd om 3-5 tim" in moved("sv") and "usually call you in 3-5 h" in moved("en")
    assert "http" not in moved("sv") and "1177" in moved("en")
