"""What a submission_id is bound to: a keyed digest of the canonical request (issue 25, item 3).

A retry must be the same request: the same person, region, phone, symptom, answers and
choices. Their normalised forms are hashed (so "070-123 45 67" and "+46701234567" are one
request), keyed with the pseudonym key, because the digest travels on triage.events and
triage.results beside the decision and a plain hash of a personnummer could be guessed back.
``language`` is left out: it only chooses the words, and a replay answers in the first
answer's language (docs/intake.md).
"""

from __future__ import annotations

import hashlib
import hmac

import msgspec

from services.intake.domain.submission_form import FieldError, InvalidSubmission, Submission

_ENCODER = msgspec.json.Encoder(order="sorted")


def request_digest(form: Submission, key: bytes) -> str:
    """32 hex characters that differ for any two different requests."""
    canonical = _ENCODER.encode(
        {
            "region": form.region,
            "person": form.identity.number,
            "phone": form.phone_e164,
            "symptom": form.symptom,
            "answers": dict(form.answers),
            "protected_identity": form.protected_identity,
            "accept_long_wait": form.accept_long_wait,
        }
    )
    return hmac.digest(key, b"submission-request\x00" + canonical, "sha256").hex()[:32]


def check_same_request(submission_id: str, remembered_digest: str, digest: str) -> None:
    """Raise InvalidSubmission naming the key when ``submission_id`` answered another request.

    An empty remembered digest (a record written before digests existed) is not checked.
    """
    if remembered_digest and not hmac.compare_digest(remembered_digest, digest):
        raise InvalidSubmission(
            [
                FieldError(
                    "#/submission_id",
                    f"submission_id {submission_id!r} was already used for a different request: "
                    "a retry must repeat the first body exactly; send a new submission_id for a new request",
                )
            ]
        )


def case_id_for(submission_id: str, digest: str) -> str:
    """The case id a queued submission gets: the same for every retry of the same request.

    A retry after a timed-out answer must not open a second case. Under a broker fault a
    publish can outlive the HTTP request's timeout and still land: with a fresh id per attempt
    the retry published a second CaseTriaged for the same person, which the queue refused as
    "person already waiting" while the client was told the second id was queued (the loss the
    3-broker chaos run reported, docs/queue.md). Derived from the keyed digest, so nobody can
    compute a case id from a submission id alone. 32 hex characters, like ``ev.new_id()``.
    """
    return hashlib.sha256(b"case\x00" + submission_id.encode() + b"\x00" + digest.encode()).hexdigest()[:32]
