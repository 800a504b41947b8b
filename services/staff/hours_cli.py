"""``triage opening-hours``: read a region's opening hours, or (team lead) replace them from a TOML file.

The file is a region's table of the hours file, without its header (the same words the
staff API's PUT takes)::

    mon = ["08:00-17:00"]   # ... every day, sun included
    capacity = 15
    [exceptions]
    "2026-12-24" = []
    [hourly_capacity]
    mon = { "08:00-10:00" = 25 }
"""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path
from typing import Any

from services.staff.cli import _call, _client_options  # the staff CLI's token and HTTP handling


def cmd_opening_hours(args: argparse.Namespace) -> int:
    """GET the region's hours (printed as JSON), or PUT the week of ``--set FILE``."""
    path = f"/v1/regions/{args.region}/opening-hours"
    if not args.set:
        status, body = _call(args, "GET", path, args.region)
        print(json.dumps(body, indent=2, ensure_ascii=False))
        return 0 if status == 200 else 1
    try:
        week: dict[str, Any] = tomllib.loads(Path(args.set).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SystemExit(
            f"--set {args.set}: cannot read it as TOML ({exc}); see `triage opening-hours -h`"
        ) from None
    extra = {"expected_version": args.expected_version, "reason": args.reason, "request_id": args.request_id}
    status, body = _call(
        args, "PUT", path, args.region, {**week, **{k: v for k, v in extra.items() if v is not None}}
    )
    if status == 200:
        print(
            f"opening hours of {args.region}: now version {body.get('version')} (request {body.get('request_id')})"
        )
        return 0
    print(f"not changed ({status}): {body.get('detail') or body.get('title')}")
    for error in body.get("errors", []):
        print(f"  {error['pointer']}: {error['detail']}")
    return 1


def add_hours_parser(sub: Any) -> None:
    """Add ``opening-hours`` to the ``triage`` command."""
    p = sub.add_parser(
        "opening-hours",
        help="a region's opening hours through the staff API: show them, or replace them (--set FILE, team-lead)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _client_options(p, role="team-lead")
    p.add_argument("--region", required=True, help="ISO 3166-2:SE code, e.g. SE-C")
    p.add_argument(
        "--set", default="", help="TOML file with the whole week (mon..sun, exceptions, capacity, ...)"
    )
    p.add_argument("--expected-version", type=int, default=None, help="refuse if the hours changed since")
    p.add_argument("--reason", default=None, help="why (no personal data)")
    p.add_argument("--request-id", default=None, help="idempotency key")
    p.set_defaults(func=cmd_opening_hours)
