"""Which environment variables the code reads, found in its text (test support)."""

from __future__ import annotations

import re
from dataclasses import fields

from services.kafka.worker_settings import WorkerSettings

QUOTED = re.compile(r"""["']([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)["']""")
# read_worker_settings(read, "QUEUE_", ...): the worker's fields in capitals under that prefix
_WORKER_PREFIX = re.compile(r"""read_worker_settings\(\s*\w+,\s*["']([A-Z][A-Z0-9]*_)["']""")


def names_read_in(text: str) -> set[str]:
    """Every quoted UPPER_SNAKE name (settings are read as env.get("X"), env["X"] or through small
    helpers taking the name, so a quoted name counts as read), and the faust worker variables
    read under a quoted prefix (services/kafka/worker_settings.py)."""
    names = set(QUOTED.findall(text))
    for prefix in _WORKER_PREFIX.findall(text):
        names |= {prefix + f.name.upper() for f in fields(WorkerSettings)}
    return names
