"""``triage opening-hours``: read a region's opening hours, or (team lead) change them.

``--set FILE`` replaces the week from a region's table of the hours file, without its header
(the same words the staff API's PUT takes)::

    mon = ["08:00-17:00"]   # ... every day, sun included
    capacity = 15
    [exceptions]            # optional: left out, the region's current exceptions are KEPT;
    "2026-12-24" = []       # an empty [exceptions] table removes them all
    [hourly_capacity]       # optional, kept when left out (capacity too)
    mon = { "08:00-10:00" = 25 }

``--add-exception 2026-12-24=closed`` (or ``=08:00-14:00`` or ``=08:00-12:00,13:00-15:00``) sets
one date, ``--remove-exception 2026-12-24`` removes one; everything else is kept.
"""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path
from typing import Any

from services.staff.api_client import add_client_options, call


def cmd_opening_hours(args: argparse.Namespace) -> int:
    """GET the region's hours (printed as JSON), or PUT the week of ``--set FILE``."""
    path = f"/v1/regions/{args.region}/opening-hours"
    extra = {"expected_version": args.expected_version, "reason": args.reason, "request_id": args.request_id}
    given = {k: v for k, v in extra.items() if v is not None}
    if args.add_exception or args.remove_exception:
        return _one_exception(args, path, given)
    if not args.set:
        status, body = call(args, "GET", path, args.region)
        print(json.dumps(body, indent=2, ensure_ascii=False))
        return 0 if status == 200 else 1
    try:
        week: dict[str, Any] = tomllib.loads(Path(args.set).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SystemExit(
            f"--set {args.set}: cannot read it as TOML ({exc}); see `triage opening-hours -h`"
        ) from None
    status, body = call(args, "PUT", path, args.region, {**week, **given})
    return _report(args, status, body)


def _one_exception(args: argparse.Namespace, path: str, given: dict[str, Any]) -> int:
    """PUT or DELETE one dated exception (``--add-exception D=HOURS`` / ``--remove-exception D``)."""
    if args.add_exception:
        date, sep, text = args.add_exception.partition("=")
        if not sep or not text:
            raise SystemExit(
                f"--add-exception {args.add_exception!r}: write DATE=HOURS, e.g. 2026-12-24=closed "
                "or 2026-12-31=08:00-14:00 (several: 08:00-12:00,13:00-15:00)"
            )
        hours = [] if text.strip().lower() == "closed" else [h.strip() for h in text.split(",") if h.strip()]
        status, body = call(
            args, "PUT", f"{path}/exceptions/{date.strip()}", args.region, {"hours": hours, **given}
        )
    else:
        target = f"{path}/exceptions/{args.remove_exception.strip()}"
        status, body = call(args, "DELETE", target, args.region, params=given)
    return _report(args, status, body)


def _report(args: argparse.Namespace, status: int, body: dict[str, Any]) -> int:
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
        help="a region's opening hours through the staff API: show them, or change them (--set FILE, "
        "--add-exception, --remove-exception; team-lead)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_client_options(p, role="team-lead")
    p.add_argument("--region", required=True, help="ISO 3166-2:SE code, e.g. SE-C")
    p.add_argument(
        "--set", default="", help="TOML file with the whole week (mon..sun, exceptions, capacity, ...)"
    )
    change = p.add_mutually_exclusive_group()
    change.add_argument(
        "--add-exception",
        default="",
        metavar="DATE=HOURS",
        help="set one date's hours, keeping the rest: 2026-12-24=closed, 2026-12-31=08:00-14:00",
    )
    change.add_argument("--remove-exception", default="", metavar="DATE", help="remove one date's exception")
    p.add_argument("--expected-version", type=int, default=None, help="refuse if the hours changed since")
    p.add_argument("--reason", default=None, help="why (no personal data)")
    p.add_argument("--request-id", default=None, help="idempotency key")
    p.set_defaults(func=cmd_opening_hours)
