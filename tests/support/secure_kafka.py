"""Apache Kafka with its own TLS and SCRAM listeners and StandardAuthorizer, for the security tests.

Two client listeners, as Strimzi configures them: ``SSL`` demands a client certificate signed
by the cluster CA (its CN becomes the principal: ``ssl.principal.mapping.rules``), and
``SASLSSL`` takes SCRAM-SHA-512 over TLS (the SCRAM users are written when the storage is
formatted). Every catalog service (``proto.catalog``) has a certificate and a SCRAM password;
``grant()`` gives each the ACLs its KafkaUser carries (``services.kafka.acls``), in a test's
namespace. Nothing is allowed without an ACL (``allow.everyone.if.no.acl.found=false``).

The broker reaches its controller and other brokers over TLS with the brokers' certificate
(``User:triage-kafka-brokers``, a super user). The launcher's own PLAINTEXT listener stays for
its readiness probe, which knows no credentials, so its anonymous principal is a super user as
well; it is on loopback and the services under test never use it.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from proto import catalog
from services.kafka.acls import create_acls, rules, user_name
from services.kafka.apache_kafka import KafkaCluster, Listener, ScramCredential
from services.kafka.settings import KafkaSettings
from tests.support.pki import BROKER_NAME, Pki, make_pki

ADMIN = "triage-admin"  # the tests' own super user: creates topics and grants ACLs
USERS = tuple(user_name(e) for e in catalog.SERVICE_ACCESS)
TLS, SCRAM = "SSL", "SASLSSL"  # the two listeners' names


def server_properties(pki: Pki) -> dict[str, str]:
    """TLS, SCRAM and the authorizer, on top of the launcher's generated configuration."""
    return {
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(pki.server_keystore),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(pki.ca_crt),
        "listener.name.ssl.ssl.client.auth": "required",
        # the certificate's DN is "CN=triage-intake"; the principal is the KafkaUser's name
        "ssl.principal.mapping.rules": "RULE:^CN=([^,]+)$/$1/,DEFAULT",
        "listener.name.saslssl.sasl.enabled.mechanisms": "SCRAM-SHA-512",
        "listener.name.saslssl.scram-sha-512.sasl.jaas.config": (
            "org.apache.kafka.common.security.scram.ScramLoginModule required;"
        ),
        # the node's broker talks to its controller and to other brokers with its own
        # certificate (User:triage-kafka-brokers, a super user), as Strimzi's brokers do
        "listener.security.protocol.map": f"PLAINTEXT:PLAINTEXT,CONTROLLER:SSL,{TLS}:SSL,{SCRAM}:SASL_SSL",
        "listener.name.controller.ssl.client.auth": "required",
        "inter.broker.listener.name": TLS,
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        # the internal PLAINTEXT listener's anonymous principal (see the module docstring), the
        # brokers' certificate, and the tests' administrator
        "super.users": f"User:ANONYMOUS;User:{BROKER_NAME};User:{ADMIN}",
    }


@dataclass
class SecureKafka:
    """A running single-node cluster, its CA, and every user's certificate and SCRAM password."""

    cluster: KafkaCluster
    pki: Pki
    passwords: Mapping[str, str]
    secrets_dir: Path

    @classmethod
    def start(cls, base_dir: Path) -> SecureKafka:
        pki = make_pki(base_dir / "pki", (*USERS, ADMIN))
        passwords = {user: secrets.token_urlsafe(18) for user in (*USERS, ADMIN)}
        cluster = KafkaCluster(
            base_dir / "kafka",
            listeners=[Listener(TLS, "SSL"), Listener(SCRAM, "SASL_SSL")],
            properties=server_properties(pki),
            scram=[ScramCredential(user, password) for user, password in passwords.items()],
        )
        cluster.start()
        secrets_dir = base_dir / "secrets"
        secrets_dir.mkdir()
        return cls(cluster, pki, passwords, secrets_dir)

    def stop(self) -> None:
        self.cluster.stop()

    def mtls_env(self, user: str) -> dict[str, str]:
        """A service's environment for mutual TLS as ``user`` (Strimzi's secret layout)."""
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.cluster.listener_bootstrap(TLS),
            "KAFKA_SECURITY_PROTOCOL": "SSL",
            "KAFKA_SSL_CAFILE": str(self.pki.ca_crt),
            "KAFKA_SSL_CERTFILE": str(self.pki.user_crt(user)),
            "KAFKA_SSL_KEYFILE": str(self.pki.user_key(user)),
        }

    def scram_env(self, user: str, password: str | None = None) -> dict[str, str]:
        """A service's environment for SCRAM-SHA-512 over TLS as ``user`` (files, as mounted)."""
        name = self.secrets_dir / f"{user}.username"
        secret = self.secrets_dir / f"{user}.{secrets.token_hex(4)}.password"
        name.write_text(user)
        secret.write_text(self.passwords[user] if password is None else password)
        return {
            "KAFKA_BOOTSTRAP_SERVERS": self.cluster.listener_bootstrap(SCRAM),
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SSL_CAFILE": str(self.pki.ca_crt),
            "KAFKA_SASL_USERNAME_FILE": str(name),
            "KAFKA_SASL_PASSWORD_FILE": str(secret),
        }

    def settings(self, env: Mapping[str, str], namespace: str) -> KafkaSettings:
        """The project's own settings, read from a service's environment."""
        return KafkaSettings.from_env({**env, "TRIAGE_NAMESPACE": namespace})

    def admin(self, namespace: str) -> KafkaSettings:
        """The tests' super user over mutual TLS: creates topics and ACLs."""
        return self.settings(self.mtls_env(ADMIN), namespace)

    def grant(self, namespace: str) -> None:
        """Every catalog service's KafkaUser ACLs, for the topics and groups of ``namespace``."""
        names = KafkaSettings(namespace=namespace)
        grants = [(user_name(e), rule) for e in catalog.SERVICE_ACCESS for rule in rules(e, names)]
        asyncio.run(create_acls(self.admin(namespace), grants))
