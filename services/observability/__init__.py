"""Observability shared by the services: JSON logs with redaction, HTTP metrics, consumer lag."""
