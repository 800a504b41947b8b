"""The faust apps' own topics (leader, table changelogs) are registered in proto/topics.py.

Builds each real faust app (nothing connects: create_app only wires it) in its own process --
faust's Prometheus sensor registers process-global metrics -- and lists its tables.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys

import pytest

from proto import catalog, topics
from tests.deploy.manifests import ROOT

APPS = {
    "triage-queue": ("services.queue.worker", "services.queue.settings", "QueueSettings"),
    "triage-notifier": ("services.notifier.worker", "services.notifier.settings", "NotifierSettings"),
}
PROBE = """
import json, sys
from importlib import import_module
worker, settings, cls = sys.argv[1:4]
app = import_module(worker).create_app(getattr(import_module(settings), cls)())
print(json.dumps({"id": app.conf.id, "tables": [
    {"changelog": t.changelog_topic.get_topic_name(), "partitions": t.partitions} for t in app.tables.values()],
    "inputs": sorted({n for a in app.agents.values() for n in getattr(a.channel, "topics", ())})}))
"""


@functools.cache
def _probe(app_id: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TRIAGE_NAMESPACE"}  # names without a prefix
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *APPS[app_id]],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("app_id", sorted(APPS))
def test_every_topic_a_faust_agent_consumes_is_one_its_kafka_user_may_read(app_id: str) -> None:
    found = _probe(app_id)
    entry = next(e for e in catalog.SERVICE_ACCESS if e.faust_app == app_id)
    if app_id == "triage-queue":
        # The queue reads its inputs and its own log with a plain aiokafka reader (no agent;
        # services/queue/input_reader.py), so its Kafka user must read exactly these.
        assert not found["inputs"]
        found["inputs"] = [topics.TRIAGE_EVENTS.name, topics.QUEUE_COMMANDS.name, topics.QUEUE_EVENTS.name]
    assert found["inputs"], "the probe found no agent"
    assert set(found["inputs"]) <= set(entry.reads), (
        f"{app_id} consumes {sorted(set(found['inputs']) - set(entry.reads))} but proto/catalog.py does "
        "not let it read them: add them to its ServiceAccess and run `make contract`"
    )


@pytest.mark.parametrize("app_id", sorted(APPS))
def test_every_faust_table_has_its_changelog_registered_with_matching_partitions(app_id: str) -> None:
    found = _probe(app_id)
    assert found["id"] == app_id, "the app id is part of every internal topic name"
    assert app_id in topics.FAUST_APP_IDS
    registered = {t.name: t for t in topics.FAUST_INTERNAL_TOPICS}
    for table in found["tables"]:
        name = table["changelog"]
        assert name in registered, (
            f"faust table changelog {name!r} is not registered: add a FaustTable to "
            "proto.topics.FAUST_TABLES and run `make contract`"
        )
        expected = table["partitions"] or topics.QUEUE_PARTITIONS  # None = the app's topic_partitions
        assert registered[name].partitions == expected, name
    own = {t.changelog().name for t in topics.FAUST_TABLES if t.app_id == app_id}
    stale = own - {t["changelog"] for t in found["tables"]}
    assert not stale, f"registered changelogs with no table in {app_id}: {sorted(stale)}"
