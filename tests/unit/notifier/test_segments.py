"""GSM 03.38 segment counting for SMS texts."""

from services.notifier.domain.segments import count_segments, is_gsm7
from services.notifier.domain.templates import TEMPLATES


def test_swedish_letters_are_in_the_gsm7_basic_set() -> None:
    assert is_gsm7("Åsa Öberg är här: åäö ÅÄÖ é ü")


def test_160_gsm7_characters_fit_one_sms_and_161_need_two_segments() -> None:
    assert count_segments("a" * 160).segments == 1
    assert count_segments("a" * 161).segments == 2
    assert count_segments("a" * 306).segments == 2
    assert count_segments("a" * 307).segments == 3


def test_extension_characters_cost_two_septets() -> None:
    assert count_segments("€" * 80) == count_segments("€" * 80).__class__("gsm7", 160, 1)
    assert count_segments("€" * 81).segments == 2
    assert count_segments("[" * 10 + "a").units == 21


def test_an_escape_pair_is_never_split_across_segments() -> None:
    # 152 septets then a 2-septet char: it cannot straddle the 153 boundary
    assert count_segments("a" * 152 + "€" + "a" * 152).segments == 3
    assert count_segments("a" * 151 + "€" + "a" * 153).segments == 2


def test_one_character_outside_gsm7_switches_the_sms_to_ucs2() -> None:
    assert count_segments("a" * 69 + "ł").encoding == "ucs2"
    assert count_segments("a" * 69 + "ł").segments == 1
    assert count_segments("a" * 70 + "ł").segments == 2
    assert count_segments("ł" * 134).segments == 2
    assert count_segments("ł" * 135).segments == 3


def test_an_emoji_takes_two_ucs2_units() -> None:
    assert count_segments("🙂").units == 2
    assert count_segments("🙂" * 35).segments == 1
    assert count_segments("🙂" * 36).segments == 2


def test_the_built_in_texts_fit_one_gsm7_sms_each() -> None:
    for key, text in TEMPLATES.items():
        # the longest region name, the longest forecast range
        counted = count_segments(
            text.format(position=3, region_name="Jämtland Härjedalen", wait="10,5-13,5 tim")
        )
        assert (counted.encoding, counted.segments) == ("gsm7", 1), key
