"""The HTTP edge every Litestar service shares: problem+json (RFC 9457), the health, readiness,
metrics and OpenAPI routes, the lifespan's background tasks; and the faust services' common views.

One place, so the services cannot drift apart again (staff's /metrics once sent a Content-Type
that Prometheus 3 refuses while intake's was fixed).
"""
