"""Cost per message of encoding a record the way every service does (value + CloudEvents
headers), against the same with the message tag looked up once per class.

    .venv/bin/python -m benchmarks.codec_headers

Why: the py-spy profile of the queue worker (docs/performance.md) shows
``proto.codec.cloudevent_headers`` calling ``msgspec.inspect.type_info`` for every
message; this prints what that costs and what a per-class cache would save.
"""

from __future__ import annotations

import functools
import timeit

import msgspec

from proto import codec
from proto import events as ev


@functools.cache
def _tag(cls: type) -> bytes:
    return str(msgspec.inspect.type_info(cls).tag).encode()  # type: ignore[attr-defined]


def cached_headers(message: ev.Message, source: str) -> codec.Headers:
    """The same headers as ``codec.cloudevent_headers`` with the tag cached per class."""
    return [
        ("ce_specversion", codec.SPEC_VERSION),
        ("ce_id", message.event_id.encode()),
        ("ce_type", _tag(type(message))),
        ("ce_source", source.encode()),
        ("ce_time", codec._rfc3339(message.occurred_at)),
        ("content-type", codec.CONTENT_TYPE),
    ]


def per_call_us(fn: object, n: int) -> float:
    return min(timeit.repeat(fn, number=n, repeat=3)) / n * 1e6  # type: ignore[arg-type]


def main() -> None:
    m = ev.CaseQueued(case_id=ev.new_id(), region="SE-C", urgency=3, queued_at=ev.utcnow(), sequence=1)
    assert cached_headers(m, "/q") == codec.cloudevent_headers(m, "/q")
    n = 2000
    rows = {
        "codec.encode (value)": per_call_us(lambda: codec.encode(m), n * 10),
        "codec.cloudevent_headers (as is)": per_call_us(lambda: codec.cloudevent_headers(m, "/q"), n),
        "headers with the tag cached per class": per_call_us(lambda: cached_headers(m, "/q"), n * 10),
    }
    for name, us in rows.items():
        print(f"{us:9.2f} us  {name}")
    print(
        f"-> caching the tag would make headers {rows['codec.cloudevent_headers (as is)'] / rows['headers with the tag cached per class']:.0f}x cheaper"
    )


if __name__ == "__main__":
    main()
