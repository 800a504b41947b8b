"""Each service's Kafka ACLs, derived from ``proto.catalog``: the one source of the permissions.

``rules()`` is what both sides read: ``deploy/k8s/generate.py`` writes it into the Strimzi
KafkaUsers, and ``create_acls()`` grants the same rules on a Kafka cluster with its own
authorizer (the e2e tests' Apache Kafka with StandardAuthorizer), so what the tests prove
is what the cluster grants in production.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka.client import AIOKafkaClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import CreateAclsRequest, CreateAclsRequestStruct, DescribeAclsRequest

from proto.catalog import ServiceAccess
from services.kafka.settings import KafkaSettings

# Kafka's wire codes (org.apache.kafka.common.resource / acl)
_RESOURCE = {"topic": 2, "group": 3, "cluster": 4, "transactionalId": 5}
_PATTERN = {"literal": 3, "prefix": 4}
_OPERATION = {
    "All": 2,
    "Read": 3,
    "Write": 4,
    "Create": 5,
    "Delete": 6,
    "Alter": 7,
    "Describe": 8,
    "ClusterAction": 9,
    "DescribeConfigs": 10,
    "AlterConfigs": 11,
    "IdempotentWrite": 12,
}
_ALLOW = 3
_ORDER = ["Read", "Write", "Describe", "DescribeConfigs", "Create"]


@dataclass(frozen=True)
class AclRule:
    """Allow ``operations`` on one resource (Strimzi's ``simple`` authorization, one ACL entry)."""

    resource: str  # "topic" | "group" | "transactionalId"
    name: str
    operations: tuple[str, ...]
    pattern: str = "literal"  # or "prefix"


def user_name(entry: ServiceAccess) -> str:
    """The KafkaUser (and Kafka principal ``User:<name>``) of a service."""
    return f"triage-{entry.service}"


def rules(entry: ServiceAccess, kafka: KafkaSettings | None = None) -> list[AclRule]:
    """The least-privilege ACLs of one service; names in ``kafka``'s namespace (default: none)."""
    kafka = kafka or KafkaSettings()
    # faust declares every topic it uses at start; Kafka answers CreateTopics for an existing
    # topic with TOPIC_AUTHORIZATION_FAILED unless the client may Create it, so faust apps get
    # Create on the exact names they use (all pre-created by the Topic Operator).
    create = ["Create"] if entry.faust_app else []
    topic_ops: dict[str, list[str]] = {}  # one rule per topic, read and write merged
    for names, op in ((entry.reads, "Read"), (entry.writes, "Write")):
        for name in names:
            topic_ops.setdefault(name, []).append(op)
    out = [
        AclRule(
            "topic",
            kafka.topic(name),
            tuple(sorted({*ops, "Describe", "DescribeConfigs", *create}, key=_ORDER.index)),
        )
        for name, ops in topic_ops.items()
    ]
    out += [AclRule("group", kafka.group(group), ("Read", "Describe")) for group in entry.groups]
    out += [
        AclRule("transactionalId", kafka.group(prefix), ("Write", "Describe"), pattern="prefix")
        for prefix in entry.transactional_ids
    ]
    if entry.faust_app:
        # faust's own topics: <app_id>-__assignor-__leader, <app_id>-<table>-changelog, repartitions.
        out.append(
            AclRule(
                "topic",
                f"{kafka.group(entry.faust_app)}-",
                ("Create", "Read", "Write", "Describe", "DescribeConfigs"),
                pattern="prefix",
            )
        )
    return out


class _CreateAcls(CreateAclsRequest):  # type: ignore[misc]
    """CreateAcls with many creations in one request (aiokafka's class sends one)."""

    def __init__(self, creations: list[tuple[int, str, int, str, str, int, int]]) -> None:
        self._creations = creations

    def build(self, request_struct_class: type[CreateAclsRequestStruct]) -> CreateAclsRequestStruct:
        if request_struct_class.API_VERSION < 1:  # no pattern types before v1
            raise ValueError("the broker is too old for prefixed ACLs (CreateAcls v1, Kafka 2.0)")
        return request_struct_class(self._creations)


async def create_acls(
    kafka: KafkaSettings, grants: Iterable[tuple[str, AclRule]], timeout: float = 30.0
) -> None:
    """Grant each ``(principal, rule)`` as an allow ACL from any host; idempotent.

    Returns once every broker enforces them.

    ``kafka`` must authenticate as a principal that may alter ACLs (a super user).
    Raises the broker's error (e.g. ClusterAuthorizationFailedError) naming the rule it refused.
    """
    rows = [(principal, rule, op) for principal, rule in grants for op in rule.operations]
    creations = [
        (_RESOURCE[r.resource], r.name, _PATTERN[r.pattern], f"User:{p}", "*", _OPERATION[op], _ALLOW)
        for p, r, op in rows
    ]
    client = AIOKafkaClient(**kafka.client_options())
    await client.bootstrap()
    try:
        response = await client.send(client.get_random_node(), _CreateAcls(creations))
        for (principal, rule, op), (code, message) in zip(rows, response.creation_responses, strict=True):
            if code:
                raise for_code(code)(
                    f"CreateAcls refused {op} on {rule.resource} {rule.name!r} for User:{principal}: {message}"
                )
        # The controller has committed them; the brokers apply them a moment later. Return
        # once every broker's authorizer lists them, so that the next request is judged by them.
        wanted = {(c[0], c[1], c[2], c[3], c[5]) for c in creations}
        deadline = asyncio.get_running_loop().time() + timeout
        for node in client.cluster.brokers():
            while not wanted <= await _described(client, node.nodeId):
                if asyncio.get_running_loop().time() > deadline:
                    raise TimeoutError(
                        f"broker {node.nodeId} did not apply the new ACLs within {timeout:.0f}s"
                    )
                await asyncio.sleep(0.05)
    finally:
        await client.close()


async def _described(client: AIOKafkaClient, node_id: int) -> set[tuple[int, str, int, str, int]]:
    """Every allow ACL that broker ``node_id`` enforces: (resource, name, pattern, principal, op)."""
    any_ = 1
    response = await client.send(node_id, DescribeAclsRequest(any_, None, any_, None, None, any_, any_))
    if response.error_code:
        raise for_code(response.error_code)(f"DescribeAcls: {response.error_message}")
    return {
        (kind, name, pattern, principal, op)
        for kind, name, pattern, acls in response.resources
        for principal, _host, op, permission in acls
        if permission == _ALLOW
    }
