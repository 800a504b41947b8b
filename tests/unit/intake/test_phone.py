"""The plain-form fast path answers exactly as libphonenumber does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.intake.domain.phone import InvalidPhone, normalise_mobile, with_libphonenumber
from tests.support.property_depth import examples

PREFIXES = ("0", "+46", "0046", "+46(0)", "+460", "46", "+47", "00", "", "+")


@st.composite
def typed_numbers(draw: st.DrawFn) -> str:
    """A number as someone might type it: a prefix, a 7X series, 6-8 more digits, separators anywhere."""
    digits = draw(st.sampled_from(PREFIXES)) + "7" + draw(st.sampled_from("0123456789"))
    digits += "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=6, max_size=8)))
    out = []
    for ch in digits:
        out.append(draw(st.sampled_from(("", "", "", " ", "-", ".", "/", "  ", "(", ")", "\t"))))
        out.append(ch)
    out.append(draw(st.sampled_from(("", "", " ", ".", "-"))))
    return "".join(out)


def answer(parse: object, raw: str) -> str | None:
    try:
        return parse(raw)  # type: ignore[operator,no-any-return]
    except InvalidPhone:
        return None


@settings(max_examples=examples(3000), deadline=None)
@given(typed_numbers())
def test_every_typed_number_gets_the_answer_libphonenumber_gives(raw: str) -> None:
    assert answer(normalise_mobile, raw) == answer(with_libphonenumber, raw)


@pytest.mark.parametrize(
    "raw",
    ["070-123 45 67", "0701234567", "+46701234567", "0046 70 123 45 67", "079.123.45.67", "072/123 45 67"],
)
def test_the_plain_forms_are_normalised_without_libphonenumber_to_the_same_e164(raw: str) -> None:
    assert normalise_mobile(raw) == with_libphonenumber(raw)


@pytest.mark.parametrize(
    "raw", ["071-123 45 67", "074-123 45 67", "075 123 45 67", "078-123 45 67", "070-123 45 6"]
)
def test_other_series_and_short_numbers_are_still_refused_with_the_hint(raw: str) -> None:
    with pytest.raises(InvalidPhone, match="not a Swedish mobile number"):
        normalise_mobile(raw)
