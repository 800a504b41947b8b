"""The checked-in JSON Schemas and AsyncAPI document are exactly what the code exports."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import msgspec
import pytest
import yaml

from proto import catalog, export, topics
from proto import events as ev

PROTO = Path(export.__file__).resolve().parent
FIX = "regenerate with `python -m proto.export` (or `make contract`) and commit the result"


def test_checked_in_contract_files_equal_a_fresh_export(tmp_path: Path) -> None:
    fresh = {p.relative_to(tmp_path): text for p, text in export.render(tmp_path).items()}
    checked_in = {p.relative_to(PROTO) for p in (PROTO / "schemas").glob("*.json")} | (
        {Path("asyncapi.yaml")} if (PROTO / "asyncapi.yaml").exists() else set()
    )
    missing = sorted(str(p) for p in fresh.keys() - checked_in)
    stale = sorted(str(p) for p in checked_in - fresh.keys())
    differing = sorted(
        str(p) for p in fresh.keys() & checked_in if (PROTO / p).read_text(encoding="utf-8") != fresh[p]
    )
    assert not (missing or stale or differing), (
        f"proto/ contract files are stale (missing {missing}, no longer exported {stale}, "
        f"differing {differing}): {FIX}"
    )


def test_every_tagged_event_has_a_schema_that_accepts_its_own_encoding() -> None:
    checked = 0
    for cls in export.tagged_messages():
        schema = export.event_schema(cls)
        jsonschema.Draft202012Validator.check_schema(schema)
        fields = msgspec.structs.fields(cls)
        sample = _sample(cls, fields)
        jsonschema.validate(json.loads(msgspec.json.encode(sample)), schema)
        checked += 1
    assert checked >= 25


def test_a_schema_rejects_an_event_without_its_required_fields() -> None:
    schema = export.event_schema(ev.CaseTriaged)
    with pytest.raises(jsonschema.ValidationError, match="case_id"):
        jsonschema.validate({"type": "case.triaged.v1", "region": "SE-C"}, schema)


def test_asyncapi_has_a_channel_for_every_topic_and_every_reference_resolves() -> None:
    doc = yaml.safe_load((PROTO / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert doc["asyncapi"] == "3.0.0"
    addresses = {c["address"]: c for c in doc["channels"].values()}
    assert set(addresses) == {s.name for s in topics.ALL_TOPICS}
    for spec in topics.ALL_TOPICS:
        assert addresses[spec.name]["bindings"]["kafka"]["partitions"] == spec.partitions
    for name, classes in catalog.TOPIC_MESSAGES.items():
        assert set(addresses[name]["messages"]) == {c.__name__ for c in classes}
    for ref in _refs(doc):
        if ref.startswith("#/"):
            node = doc
            for part in ref[2:].split("/"):
                assert part in node, f"asyncapi.yaml: unresolved $ref {ref}"
                node = node[part]
        else:
            assert (PROTO / ref).is_file(), f"asyncapi.yaml: $ref to missing file {ref}"


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _sample(cls: type, fields: tuple[msgspec.structs.FieldInfo, ...]) -> object:
    values: dict[str, object] = {}
    for f in fields:
        if f.required:
            values[f.name] = _value_for(f.type)
    return cls(**values)


def _value_for(tp: object) -> object:
    import datetime as dt
    import typing

    args = typing.get_args(tp)
    if typing.get_origin(tp) is typing.Literal:
        return args[0]
    if typing.get_origin(tp) is dict:
        return {}
    if tp is dt.datetime:
        return dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    if tp is int:
        return 1
    if tp is float:
        return 1.0
    if tp is bool:
        return True
    if args:  # unions such as Urgency / X | None: the first member
        return _value_for(args[0])
    return "x"


# The official AsyncAPI 3.0.0 JSON Schema, vendored from the npm package @asyncapi/specs 6.11.1
# (Apache-2.0; file schemas/3.0.0-without-$id.json); see tests/deploy/schemas/README.md.
ASYNCAPI_SCHEMA = PROTO.parent / "tests" / "deploy" / "schemas" / "asyncapi-3.0.0.json"


def _asyncapi_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.validators.validator_for(schema)(schema)


def test_asyncapi_document_is_valid_asyncapi_3() -> None:
    doc = yaml.safe_load((PROTO / "asyncapi.yaml").read_text(encoding="utf-8"))
    errors = [
        f"{'/'.join(map(str, e.path))}: {e.message[:200]}" for e in _asyncapi_validator().iter_errors(doc)
    ]
    assert not errors, errors


def test_asyncapi_schema_rejects_an_asyncapi_2_style_operation() -> None:
    doc = export.asyncapi_document()
    first = next(iter(doc["operations"].values()))
    first["action"] = "publish"  # AsyncAPI 2 verb; 3.0 knows only send/receive
    assert list(_asyncapi_validator().iter_errors(doc))
