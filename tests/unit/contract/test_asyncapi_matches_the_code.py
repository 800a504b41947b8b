"""The AsyncAPI document against the code, both ways.

- Every message the code can write on a topic is declared on that topic's channel: every writer
  encodes through ``codec.encode_for(topic, message)``, which refuses an undeclared pair, and
  no module in services/ encodes a contract message any other way.
- Every message declared on a channel is one the code writes there: its class is built by some
  service (or proto's sealing code; never only by the tests) and some service has write access to the topic.
- The checked-in document lists on each channel exactly the catalog's messages, and every tagged
  message is on some channel (none only in the components).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from proto import catalog, codec, export, topics
from proto import events as ev

ROOT = Path(__file__).resolve().parents[3]
SERVICES = sorted((ROOT / "services").rglob("*.py"))
BUILDERS = [*SERVICES, ROOT / "proto" / "contact_crypto.py"]  # seal() builds the ContactCard


def _source() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in BUILDERS)


def test_each_channel_of_the_checked_in_document_lists_exactly_the_catalogs_messages() -> None:
    doc = yaml.safe_load((ROOT / "proto" / "asyncapi.yaml").read_text(encoding="utf-8"))
    by_address = {c["address"]: set(c["messages"]) for c in doc["channels"].values()}
    for topic, classes in catalog.TOPIC_MESSAGES.items():
        assert by_address[topic] == {c.__name__ for c in classes}, topic
    undeclared = {
        address: names
        for address, names in by_address.items()
        if names and names != {"DeadLetter"} and address not in catalog.TOPIC_MESSAGES
    }
    assert not undeclared


def test_every_tagged_message_is_on_some_channel() -> None:
    declared = {c for classes in catalog.TOPIC_MESSAGES.values() for c in classes}
    assert [c.__name__ for c in export.tagged_messages() if c not in declared] == []


@pytest.mark.parametrize(
    ("topic", "message"),
    [
        (topics.QUEUE_YOUR_TURN.name, ev.CaseNotice(case_id="c", region="SE-C", kind="cancelled")),
        (topics.QUEUE_COMMANDS.name, ev.NotifyFailed(region="SE-C", case_id="c", sms_id="s")),
        (topics.QUEUE_EVENTS.name, ev.CaseNotReached(case_id="c", region="SE-C", sms_id="s")),
    ],
)
def test_the_messages_the_issue_found_missing_are_declared_where_the_code_writes_them(
    topic: str, message: ev.Message
) -> None:
    assert codec.encode_for(topic, message) == codec.encode(message)


def test_a_message_written_on_a_topic_that_does_not_declare_it_is_refused() -> None:
    heads_up = ev.HeadsUp(case_id="c", region="SE-C", position=1)
    with pytest.raises(catalog.UndeclaredMessage, match="HeadsUp is not declared on triage.events"):
        codec.encode_for(topics.TRIAGE_EVENTS.name, heads_up)


def test_no_service_encodes_a_contract_message_without_naming_its_topic() -> None:
    bare = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in SERVICES
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bcodec\.encode\(|msgspec\.json\.encode\(\s*(ev\.|message|event|notice|command)", line)
    ]
    assert bare == [], "encode contract messages with codec.encode_for(topic, message)"


def test_every_declared_message_is_built_by_some_service_and_its_topic_is_written_by_one() -> None:
    source = _source()
    writers = {name for entry in catalog.SERVICE_ACCESS for name in entry.writes}
    for topic, classes in catalog.TOPIC_MESSAGES.items():
        assert topic in writers, f"{topic}: declared messages but no service writes it"
        for cls in classes:
            assert re.search(rf"\b{cls.__name__}\(", source), (
                f"{cls.__name__} on {topic}: no service builds it"
            )
