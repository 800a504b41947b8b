"""What the patient's own cases cost intake (issue 14): the read model's fold and memory, a list
query, and verifying a patient identity token. In-process, no broker, no ports.

    .venv/bin/python -m benchmarks.patient_cases [--cases 200000] [--people 50000]

Prints: events/s folded by QueueView with and without the patient index (intake's rebuild at
start folds every record of triage.events + queue.events), bytes per case the index adds,
µs per GET /v1/cases read (index + case lookups, no HTTP), µs per ES256 token verification.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from proto import events as ev
from services.intake.domain.queue_view import QueueView
from services.intake.patient_dev_issuer import DEV_PATIENT_AUDIENCE, DEV_PATIENT_ISSUER, PatientDevIssuer
from services.intake.patient_login import PatientLogin, PatientVerifier

T0 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)
ADVICE = [f"Råd nummer {i}: drick mycket och vila." for i in range(40)]


class _NoIndex:
    """Stands in for PatientCases to measure QueueView without it."""

    def apply(self, e: object) -> None:
        return None

    def forget(self, case_id: str) -> None:
        return None


def history(cases: int, people: int) -> list[ev.Message]:
    """Events of ``cases`` cases of ``people`` people: 90% called and closed, the rest waiting."""
    out: list[ev.Message] = []
    for i in range(cases):
        cid, person, t = f"case-{i:08d}", f"{i % people:032x}", T0 + dt.timedelta(seconds=i)
        out.append(
            ev.CaseTriaged(
                case_id=cid,
                region="SE-C",
                urgency=3,
                symptom="fever",
                person_pseudonym=person,
                triaged_at=t,
                rule_id="fever.high",
                advice=ADVICE[i % len(ADVICE)],
            )
        )
        out.append(
            ev.CaseQueued(
                case_id=cid, region="SE-C", urgency=3, queued_at=t, sequence=i, person_pseudonym=person
            )
        )
        if i % 10:
            out.append(
                ev.CaseCalled(
                    case_id=cid,
                    region="SE-C",
                    urgency=3,
                    clinician_id="n1",
                    request_id=f"r{i}",
                    queued_at=t,
                    called_at=t,
                )
            )
            out.append(ev.CaseClosed(case_id=cid, region="SE-C", reason="completed"))
        if i and i % (cases // 10 or 1) == 0:
            print(f"  built {i}/{cases} cases", file=sys.stderr, flush=True)
    return out


def _view(events: list[ev.Message], with_index: bool) -> QueueView:
    view = QueueView(max_finished=len(events))
    if not with_index:
        view.patients = _NoIndex()  # type: ignore[assignment]
    return view


def fold_rate(events: list[ev.Message], with_index: bool, repeats: int = 3) -> tuple[QueueView, float]:
    """The view and the best events/s of ``repeats`` folds (no tracing: tracemalloc slows it)."""
    best = 0.0
    view = _view(events, with_index)
    for _ in range(repeats):
        view = _view(events, with_index)
        start = time.perf_counter()
        for e in events:
            view.apply(e)
        best = max(best, len(events) / (time.perf_counter() - start))
    return view, best


def fold_bytes(events: list[ev.Message], with_index: bool) -> int:
    """Bytes the folded view holds (traced allocations still live after the fold)."""
    tracemalloc.start()
    view = _view(events, with_index)
    for e in events:
        view.apply(e)
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del view
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=20_000)
    args = parser.parse_args(argv)
    print(f"building {args.cases} cases of {args.people} people ...", file=sys.stderr, flush=True)
    events = history(args.cases, args.people)
    _, bare_rate = fold_rate(events, with_index=False)
    view, rate = fold_rate(events, with_index=True)
    bare_bytes, size = fold_bytes(events, with_index=False), fold_bytes(events, with_index=True)
    print(
        f"fold, QueueView without the patient index: {bare_rate:,.0f} events/s, {bare_bytes / 2**20:.1f} MiB"
    )
    print(f"fold, QueueView with the patient index:    {rate:,.0f} events/s, {size / 2**20:.1f} MiB")
    print(
        f"  the index: {100 * (bare_rate / rate - 1):+.0f}% fold time, {(size - bare_bytes) / args.cases:.0f} B/case"
    )

    timings = []
    for q in range(args.queries):
        person = f"{(q * 7919) % args.people:032x}"
        start = time.perf_counter()
        found = [c for i in view.patients.case_ids_of(person) if (c := view.case(i)) is not None]
        timings.append(time.perf_counter() - start)
        assert found, "every person has a case"
    timings.sort()
    per_person = args.cases / args.people
    print(
        f"list read ({per_person:.0f} cases/person): p50 {1e6 * statistics.median(timings):.1f} µs, "
        f"p99 {1e6 * timings[int(0.99 * len(timings))]:.1f} µs"
    )

    with tempfile.TemporaryDirectory() as tmp:
        gateway = PatientDevIssuer(Path(tmp))
        verifier = PatientVerifier(
            PatientLogin(issuer=DEV_PATIENT_ISSUER, audience=DEV_PATIENT_AUDIENCE, jwks_url=gateway.jwks_url),
            base64.b64decode(b"ZGV2LW9ubHktcHNldWRvbnltLWtleS0zMi1ieXRlcyE="),
        )
        token = gateway.mint("19121212-1212")
        verifier.patient_sync(token)  # load the key set once
        n = 2000
        start = time.perf_counter()
        for _ in range(n):
            verifier.patient_sync(token)
        print(
            f"patient token verification (ES256, claims, pseudonym): {1e6 * (time.perf_counter() - start) / n:.0f} µs"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
