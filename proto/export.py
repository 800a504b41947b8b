"""Export the wire contract from the code: JSON Schema per event and an AsyncAPI 3 document.

``python -m proto.export`` (or ``make contract``) rewrites ``proto/schemas/<tag>.json`` and
``proto/asyncapi.yaml``. Both are generated, never edited by hand; a unit test fails when
the checked-in files differ from what the code produces.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import yaml

from proto import catalog
from proto import events as ev
from proto import topics as t

PROTO_DIR = Path(__file__).resolve().parent
ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
# A versioned tag, e.g. ``case.triaged.v1``; classes without one (bases) are not messages.
_VERSIONED_TAG = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.v[0-9]+$")


def tagged_messages() -> list[type[ev.Message]]:
    """Every Message subclass with a versioned tag, sorted by tag."""

    def walk(cls: type[ev.Message]) -> Iterator[type[ev.Message]]:
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    found = {c for c in walk(ev.Message) if _VERSIONED_TAG.match(str(tag_of(c)))}
    return sorted(found, key=tag_of)


def tag_of(cls: type[ev.Message]) -> str:
    """The class's wire tag (``type`` field and ``ce_type`` header)."""
    return str(cls.__struct_config__.tag)


def event_schema(cls: type[ev.Message]) -> dict[str, Any]:
    """The JSON Schema (2020-12) of one event, as msgspec validates it."""
    schema = _clean_descriptions(msgspec.json.schema(cls))
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{tag_of(cls)}.json",
        "title": tag_of(cls),
        **schema,
    }


def _clean_descriptions(node: Any) -> Any:
    # Docstrings become descriptions; Python 3.13 dedents them at compile time and 3.11 does
    # not, so clean them the same way on every version (the export must not depend on it).
    if isinstance(node, dict):
        return {
            k: inspect.cleandoc(v) if k == "description" and isinstance(v, str) else _clean_descriptions(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_clean_descriptions(v) for v in node]
    return node


def _channel_id(topic: str) -> str:
    parts = re.split(r"[.\-_]+", topic)
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:] if p)


def _topic_binding(spec: t.TopicSpec) -> dict[str, Any]:
    config: dict[str, Any] = {
        "cleanup.policy": ["compact"] if spec.compacted else ["delete"],
        "retention.ms": spec.retention_ms,
    }
    return {
        "kafka": {
            "topic": spec.name,
            "partitions": spec.partitions,
            "topicConfiguration": config,
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }


def _cloudevents_headers() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "CloudEvents 1.0 Kafka protocol binding, binary content mode.",
        "required": ["ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "content-type"],
        "properties": {
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_id": {"type": "string", "description": "The event's event_id (consumers dedupe on it)."},
            "ce_type": {"type": "string", "description": "The versioned tag, e.g. case.triaged.v1."},
            "ce_source": {"type": "string", "description": "The producing service, e.g. /triage/queue."},
            "ce_time": {"type": "string", "format": "date-time", "description": "occurred_at, RFC 3339."},
            "content-type": {"type": "string", "const": "application/json"},
        },
    }


def _dead_letter_headers() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "The original record's headers plus the reason it could not be processed.",
        "required": ["error", "dlq_source"],
        "properties": {
            "error": {"type": "string", "description": "Why decoding or validation failed (<= 1000 bytes)."},
            "dlq_source": {"type": "string", "description": "<topic>/<partition>@<offset> of the original."},
        },
    }


def _message(cls: type[ev.Message], key: str) -> dict[str, Any]:
    doc = (cls.__doc__ or "").strip()
    message: dict[str, Any] = {
        "name": tag_of(cls),
        "title": cls.__name__,
        "contentType": "application/json",
        "headers": {"$ref": "#/components/schemas/CloudEventsHeaders"},
        "payload": {"$ref": f"schemas/{tag_of(cls)}.json"},
        "bindings": {
            "kafka": {"key": {"type": "string", "description": key}, "bindingVersion": KAFKA_BINDING_VERSION}
        },
    }
    if doc:
        message["summary"] = doc.splitlines()[0]
    return message


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document: channels = topics, operations = who sends/receives what."""
    specs = {s.name: s for s in t.ALL_TOPICS}
    channels: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for name, spec in specs.items():
        cid = _channel_id(name)
        channel: dict[str, Any] = {"address": name, "description": spec.description, "messages": {}}
        if name in catalog.TOPIC_MESSAGES:
            for cls in catalog.TOPIC_MESSAGES[name]:
                messages.setdefault(cls.__name__, _message(cls, spec.key))
                channel["messages"][cls.__name__] = {"$ref": f"#/components/messages/{cls.__name__}"}
        elif name.endswith(".dlq"):
            channel["messages"]["DeadLetter"] = {"$ref": "#/components/messages/DeadLetter"}
        channel["bindings"] = _topic_binding(spec)
        channels[cid] = channel
    messages["DeadLetter"] = {
        "name": "dead-letter",
        "title": "DeadLetter",
        "summary": "A record that could not be decoded or was invalid, copied byte for byte.",
        "headers": {"$ref": "#/components/schemas/DeadLetterHeaders"},
        "payload": {"description": "The original value bytes, unchanged (may not be valid JSON)."},
    }
    for cls in tagged_messages():  # events on no topic yet still get a documented message
        messages.setdefault(cls.__name__, _message(cls, "see the topic"))

    operations: dict[str, Any] = {}
    for entry in catalog.SERVICE_ACCESS:
        for action, names in (("receive", entry.reads), ("send", entry.writes)):
            for name in names:
                cid = _channel_id(name)
                op: dict[str, Any] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{cid}"},
                    "summary": f"{entry.service} {action}s {name}",
                    "messages": [
                        {"$ref": f"#/channels/{cid}/messages/{m}"} for m in channels[cid]["messages"]
                    ],
                }
                operations[f"{_channel_id(entry.service)}{action.title()}{cid[:1].upper()}{cid[1:]}"] = op

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "triage queue system: Kafka wire contract",
            "version": "1.0.0",
            "description": "Generated by `python -m proto.export` from proto/topics.py, proto/events.py "
            "and proto/catalog.py. Do not edit. Keys: region (ISO 3166-2:SE) on triage.* and "
            "queue.* topics; values are msgspec JSON; headers follow CloudEvents 1.0 binary "
            "mode. Topic names are prefixed `<TRIAGE_NAMESPACE>.` when a namespace is set.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "production": {
                "host": "triage-kafka-kafka-bootstrap:9093",
                "protocol": "kafka-secure",
                "description": "Strimzi-managed Apache Kafka (deploy/k8s), mutual TLS.",
            },
            "development": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "The embedded Tansu broker started by `triage up`.",
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": dict(sorted(messages.items())),
            "schemas": {
                "CloudEventsHeaders": _cloudevents_headers(),
                "DeadLetterHeaders": _dead_letter_headers(),
            },
        },
    }


def render(out_dir: Path) -> dict[Path, str]:
    """Every generated file (relative path -> text) for the contract under ``out_dir``."""
    files: dict[Path, str] = {}
    for cls in tagged_messages():
        files[out_dir / "schemas" / f"{tag_of(cls)}.json"] = (
            json.dumps(event_schema(cls), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        )
    header = "# Generated by `python -m proto.export` (make contract). Do not edit.\n"
    files[out_dir / "asyncapi.yaml"] = header + yaml.safe_dump(
        asyncapi_document(),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return files


def write(out_dir: Path) -> list[Path]:
    """Write the contract under ``out_dir``, removing schema files of events that no longer exist."""
    files = render(out_dir)
    schema_dir = out_dir / "schemas"
    schema_dir.mkdir(parents=True, exist_ok=True)
    for stale in set(schema_dir.glob("*.json")) - set(files):
        stale.unlink()
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return sorted(files)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proto.export", description=__doc__)
    parser.add_argument("--out", type=Path, default=PROTO_DIR, help="target directory (default: proto/)")
    args = parser.parse_args(argv)
    written = write(args.out)
    print(f"wrote {len(written)} files under {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
