"""``triage token``, ``triage staff-cli ...`` and ``triage serve-next``: the staff API from a shell.

Every call carries a bearer token: ``--token``, else ``STAFF_TOKEN``, else (development
only) one minted on the spot with the dev issuer key in ``<var-dir>/dev-issuer`` for
``--as`` (default nurse-dev) with role ``--role`` in the region acted on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from proto.events import OUTCOME_KINDS
from services.staff.api_client import add_client_options, call, dev_issuer
from services.staff.hours_cli import add_hours_parser


def mint_staff_token(args: argparse.Namespace) -> int:
    """Print a short-lived staff dev token (``triage token --sub/--role/--region``)."""
    if not (args.sub and args.role and args.region):
        print(
            "triage token: give --sub, --role and --region (staff), or --patient (a patient)", file=sys.stderr
        )
        return 2
    try:
        print(dev_issuer(args.var_dir).mint(args.sub, args.role, args.region, ttl_s=args.ttl))
    except ValueError as exc:
        print(f"triage token: {exc}", file=sys.stderr)
        return 2
    return 0


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.0f} min" if seconds >= 60 else f"{seconds:.0f} s"


def problem_text(body: Any) -> str:
    """A problem+json body in one line, naming every bad field (``#/urgency: ...``)."""
    if not isinstance(body, dict):
        return str(body)
    text = str(body.get("detail") or body.get("title") or body)
    fields = [f"{e.get('pointer')}: {e.get('detail')}" for e in body.get("errors", []) if isinstance(e, dict)]
    return "; ".join([text, *fields])


def describe(action: str, region: str, status: int, body: Any) -> str:
    """One line saying what happened, e.g. 'called case 3f2a… (Prio 2, waited 14 min)'."""
    if status != 200:
        return f"{action} failed ({status}): {problem_text(body)}"
    if body.get("outcome") == "called":
        case = body["case"]
        clinical = f"; {case['symptom']}, rule {case['rule_id']}" if case.get("symptom") else ""
        return (
            f"called case {case['case_id']} (Prio {case['urgency']}, waited {_minutes(case['waited_seconds'])}"
            f"{clinical}; person {case['person_pseudonym'][:12]}…)"
        )
    if body.get("outcome") == "empty":
        return f"{region}: nobody waiting"
    return f"{action}: done for case {body.get('case_id')} (request {body.get('request_id')})"


def cmd_staff(args: argparse.Namespace) -> int:
    """Run one staff-cli subcommand against the staff API and print what happened."""
    region, action = args.region, args.action
    body: dict[str, Any] = {"request_id": args.request_id} if getattr(args, "request_id", None) else {}
    if action == "waiting":
        status, page = call(
            args,
            "GET",
            f"/v1/regions/{region}/waiting",
            region,
            params={"offset": args.offset, "limit": args.limit},
        )
        if status != 200:
            print(describe(action, region, status, page))
            return 1
        if not page["cases"]:
            print(f"{region}: nobody waiting")
        for c in page["cases"]:
            due = c["due_by"] or "when capacity allows"
            print(
                f"{c['position']:>4}  Prio {c['urgency']}  waited {_minutes(c['waited_seconds']):>7}  "
                f"due {due}{'  OVERDUE' if c['overdue'] else ''}  case {c['case_id']}"
                f"{'  heads-up sent' if c['heads_up_sent'] else ''}"
            )
        return 0
    if action == "audit":
        params = {
            k: v
            for k, v in (
                ("case_id", args.case),
                ("actor", args.actor_filter),
                ("since", args.since),
                ("until", args.until),
            )
            if v
        }
        status, page = call(args, "GET", "/v1/audit", "", params=params)
        print(json.dumps(page, indent=2) if status == 200 else describe(action, "", status, page))
        return 0 if status == 200 else 1
    if action in ("case", "identity"):
        path = f"/v1/cases/{args.case}" + ("/identity" if action == "identity" else "")
        status, found = call(args, "GET", path, region)
        print(
            json.dumps(found, indent=2, ensure_ascii=False)
            if status == 200
            else describe(action, region, status, found)
        )
        return 0 if status == 200 else 1
    if action == "serve-next":
        path = f"/v1/regions/{region}/serve-next"
    else:
        path = f"/v1/regions/{region}/cases/{args.case}/{action}"
        body.update(
            {
                k: getattr(args, k)
                for k in ("urgency", "reason", "to_region", "outcome", "clinic", "visit_at")
                if getattr(args, k, None)
            }
        )
        if action == "complete":
            body["advice"] = _advice(args)
    status, answer = call(args, "POST", path, region, body)
    print(describe(action, region, status, answer))
    return 0 if status == 200 else 1


def _advice(args: argparse.Namespace) -> str:
    """The advice for the patient: --advice, or --advice-file (``-``: stdin; keeps it out of shell history)."""
    if args.advice_file:
        if args.advice_file == "-":
            return sys.stdin.read().strip()
        return Path(args.advice_file).read_text(encoding="utf-8").strip()
    if not args.advice:
        raise SystemExit(
            "complete: give --advice TEXT or --advice-file FILE (- = stdin): what the patient was told"
        )
    return str(args.advice)


def add_parsers(sub: Any) -> None:
    """Add ``staff-cli``, ``serve-next`` and ``opening-hours`` to the ``triage`` command."""
    add_hours_parser(sub)

    sn = sub.add_parser(
        "serve-next", help="a clinician is free: call the next patient (says who, or 'empty')"
    )
    sn.add_argument("--region", required=True, help="ISO 3166-2:SE code, e.g. SE-C")
    sn.add_argument("--clinician", dest="actor", default="nurse-dev", help="dev token only: the clinician")
    sn.add_argument(
        "--request-id", default=None, help="idempotency key (retry after a timeout with the same)"
    )
    add_client_options(sn)
    sn.set_defaults(func=cmd_staff, action="serve-next")

    staff = sub.add_parser("staff-cli", help="staff actions through the staff API (token required)")
    acts = staff.add_subparsers(dest="action", required=True)
    for name, help_text in (
        ("serve-next", "call the next patient"),
        ("no-show", "the called patient did not answer"),
        ("complete", "the called patient was helped"),
        ("reprioritise", "change urgency"),
        ("cancel", "withdraw a waiting case"),
        ("transfer", "move a case to another region"),
        ("waiting", "the region's waiting list"),
        ("audit", "query the audit trail"),
        ("case", "one case: symptom, answers, rule, advice, region, wait, no-shows (audited)"),
        ("identity", "the patient's personnummer and phone: the calling clinician or a team lead (audited)"),
    ):
        p = acts.add_parser(name, help=help_text)
        add_client_options(p, role={"transfer": "team-lead", "audit": "auditor"}.get(name, "nurse"))
        p.add_argument(
            "--region", required=name not in ("audit", "case", "identity"), default="", help="e.g. SE-C"
        )
        if name not in ("serve-next", "waiting"):
            p.add_argument("--case", required=name != "audit", default="", help="case id")
        if name in ("reprioritise", "cancel", "transfer"):
            p.add_argument("--reason", required=True, help="why (no personal data)")
        if name == "reprioritise":
            p.add_argument("--urgency", type=int, required=True, help="1 (most urgent) .. 5")
        if name == "transfer":
            p.add_argument("--to-region", required=True, help="target region, e.g. SE-E")
        if name == "complete":
            p.add_argument(
                "--outcome",
                required=True,
                choices=OUTCOME_KINDS,
                help="how the case ended",
            )
            p.add_argument(
                "--advice", default="", help="the advice for the patient, in their language, no links"
            )
            p.add_argument("--advice-file", default="", help="read the advice from this file (- = stdin)")
            p.add_argument("--clinic", default="", help="booked_visit: the clinic's name")
            p.add_argument(
                "--visit-at", default="", help="booked_visit: RFC 3339, e.g. 2026-12-08T14:30:00+01:00"
            )
        if name == "waiting":
            p.add_argument("--offset", type=int, default=0)
            p.add_argument("--limit", type=int, default=50)
        if name == "audit":
            p.add_argument("--actor", dest="actor_filter", default="", help="records of this staff member")
            p.add_argument("--since", default="", help="RFC 3339, e.g. 2026-11-23T08:00:00Z")
            p.add_argument("--until", default="", help="RFC 3339")
        if name not in ("waiting", "audit", "case", "identity"):
            p.add_argument("--request-id", default=None, help="idempotency key")
        p.set_defaults(func=cmd_staff)
