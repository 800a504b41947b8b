"""What a staff request_id is bound to (issue 25, item 3): a digest of the request it first named.

The queue answers a repeated request_id from its memory, whatever the command says, so an id
reused for ANOTHER request (another case, another urgency, another clinician) would get the
first request's answer. The staff edge binds each request_id to a digest of its request, writes
the digest on the "requested" audit record (audit.events: every staff process reads it, also
after a restart) and refuses a second, different request under the same id with 409. Pure.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any

import msgspec

from proto import events as ev

_ENCODER = msgspec.json.Encoder(order="sorted")
_NOT_THE_REQUEST = ("event_id", "occurred_at", "request_id")  # ids and times: the same on a retry


def request_digest(request: Any) -> str:
    """32 hex characters of the request's canonical JSON (a command without its ids, or a body)."""
    data = msgspec.to_builtins(request)
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in _NOT_THE_REQUEST}
    kind = type(request).__name__ if isinstance(request, ev.Message) else "body"
    return hashlib.sha256(kind.encode() + b"\x00" + _ENCODER.encode(data)).hexdigest()[:32]


class RequestIdReused(Exception):
    """The request_id already named a different request: nothing was sent."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        super().__init__(
            f"request_id {request_id!r} was already used for a different request: a retry must repeat "
            "the first request exactly; use a new request_id for a new request"
        )


class RequestBindings:
    """request_id -> digest: this process's own (until the audit tail shows them) and the trail's."""

    def __init__(self, memory: int = 50_000) -> None:
        self.memory = memory
        self._bound: OrderedDict[str, str] = OrderedDict()

    def note(self, request_id: str, digest: str) -> None:
        """Remember a binding (the first one of an id wins)."""
        if not request_id or not digest or request_id in self._bound:
            return
        self._bound[request_id] = digest
        while len(self._bound) > self.memory:
            self._bound.popitem(last=False)

    def check(self, request_id: str, digest: str) -> None:
        """Raise RequestIdReused when ``request_id`` is bound to another digest."""
        bound = self._bound.get(request_id)
        if bound is not None and bound != digest:
            raise RequestIdReused(request_id)
