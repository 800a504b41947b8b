"""What counts as plain text for a patient: no link a phone or browser would follow.

The clinician's closing advice (issue 26) must not carry links: a link in a message from "1177"
is how fraud looks. The same rule as the notifier's SMS templates (their ``_LINK``, which can
import this one once both are on main).
"""

from __future__ import annotations

import re

# Anything a phone would turn into a link: a scheme, www., or a host name with a TLD.
LINK = re.compile(
    r"([a-z][a-z0-9+.-]*://|www\.|"
    r"\b[\w-]+(\.[\w-]+)*\.(se|com|nu|org|net|eu|io|info|app|link|ly|me|co|de|uk)\b)",
    re.IGNORECASE,
)


def first_link(text: str) -> str | None:
    """The first link-like part of ``text`` (a URL, www., a host name), or None."""
    m = LINK.search(text)
    return m.group(0) if m is not None else None
