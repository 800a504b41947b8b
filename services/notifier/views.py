"""HTTP surface of the notifier (faust web): health, readiness, delivery reports."""

from __future__ import annotations

import hmac
import logging

import faust
from faust.web import Request, Response, View

from services.http_edge.faust_views import refuse, register_health
from services.notifier.domain.decisions import report_outcome
from services.notifier.domain.delivery_reports import ReportError, parse_report
from services.notifier.ledger_log import LedgerLog
from services.notifier.metrics import SMS
from services.notifier.sender import resumed

log = logging.getLogger("triage.notifier.reports")


def register_views(app: faust.App, ledger_log: LedgerLog, webhook_secret: str = "") -> None:
    """Health, readiness and the delivery-report webhook (which needs ``webhook_secret``)."""

    def authentic(request: Request) -> bool:
        # Constant-time compare: the secret must not leak through response timing. Without a
        # configured secret no report is accepted (a forged "failed" would alarm staff).
        given = request.query.get("secret", "")
        return bool(webhook_secret) and hmac.compare_digest(given.encode(), webhook_secret.encode())

    register_health(
        app,
        lambda: (
            {"status": "ready", "sms_known": len(ledger_log.ledger)} if ledger_log.ready.is_set() else None
        ),
        waiting="reading the SMS ledger",
    )

    @app.page("/v1/sms/delivery-reports")
    class DeliveryReports(View):
        """46elks' ``whendelivered`` callback: form (or JSON) with id, status, delivered."""

        async def post(self, request: Request) -> Response:
            if not authentic(request):
                log.warning("delivery report refused: missing or wrong webhook secret")
                return refuse(
                    self,
                    "forbidden: this callback URL needs the notifier's webhook "
                    "secret (NOTIFIER_WEBHOOK_SECRET) as ?secret=",
                    403,
                )
            try:
                report = parse_report(request.headers.get("Content-Type", ""), await request.read())
            except ReportError as exc:
                return refuse(self, str(exc), 400)
            if not ledger_log.ready.is_set():  # 46elks retries non-2xx for hours
                return refuse(self, "starting up; try again shortly", 503)
            entry = ledger_log.ledger.by_provider(report.provider_id)
            if entry is None:
                log.warning(
                    "delivery report for unknown provider id %s (status %s) acknowledged and ignored",
                    report.provider_id,
                    report.status,
                )
                return self.json({"status": "ignored", "reason": "unknown id"})
            outcome = report_outcome(resumed(entry), report)  # the notice decoded once, here
            if outcome.event is not None:
                await ledger_log.publish(outcome.event)
            if outcome.outcome is not None:
                SMS.labels(entry.provider, entry.kind, outcome.outcome).inc()
            if outcome.command is not None:
                await ledger_log.command_queue(outcome.command)
            log.info("case %s: delivery report %s for SMS %s", entry.case_id, report.status, entry.sms_id)
            return self.json({"status": "accepted", "sms_id": entry.sms_id})
