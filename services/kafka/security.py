"""How clients authenticate to Kafka: plaintext, mutual TLS, or SCRAM-SHA-512 over TLS.

Read once from the environment (Strimzi's layouts: the cluster CA ``ca.crt``, a KafkaUser's
``user.crt``/``user.key`` for mTLS, or its SCRAM password file), validated at start-up with
errors that name the variable, and turned into one ``ssl.SSLContext`` that every aiokafka
client and faust app shares.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from aiokafka.errors import TopicAuthorizationFailedError

from services.config.env import EnvReader, SettingsError

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_SSL")
SASL_MECHANISM = "SCRAM-SHA-512"  # what Strimzi's `authentication: {type: scram-sha-512}` speaks


class KafkaAccessDenied(TopicAuthorizationFailedError):  # type: ignore[misc]
    """The cluster's authorizer refused this client a topic: says which topic and which principal."""

    def __init__(self, principal: str, action: str, topic: str) -> None:
        super().__init__(topic)
        self.principal, self.action, self.topic = principal, action, topic

    def __str__(self) -> str:
        return (
            f"Kafka refused {self.principal} to {self.action} topic {self.topic!r} "
            "(TOPIC_AUTHORIZATION_FAILED): no ACL grants it. Check that these are this service's "
            "credentials (KAFKA_SSL_CERTFILE or KAFKA_SASL_USERNAME_FILE); its ACLs are generated "
            "from proto/catalog.py (deploy/k8s KafkaUsers)"
        )


@dataclass(frozen=True)
class KafkaSecurity:
    """``KAFKA_SECURITY_PROTOCOL`` and the files it needs (paths, read at start-up)."""

    protocol: str = "PLAINTEXT"
    cafile: str = ""  # KAFKA_SSL_CAFILE: the cluster CA (empty: the system trust store)
    certfile: str = ""  # KAFKA_SSL_CERTFILE: client certificate (mTLS)
    keyfile: str = ""  # KAFKA_SSL_KEYFILE: its private key
    sasl_username: str = ""  # from KAFKA_SASL_USERNAME_FILE
    sasl_password: str = field(default="", repr=False)  # from KAFKA_SASL_PASSWORD_FILE; never printed

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KafkaSecurity:
        """Read and validate the security variables; raise SettingsError naming the culprit."""
        read = EnvReader(env)
        protocol = read.text("KAFKA_SECURITY_PROTOCOL").strip().upper() or "PLAINTEXT"
        if protocol not in PROTOCOLS:
            raise SettingsError(
                f"KAFKA_SECURITY_PROTOCOL={env['KAFKA_SECURITY_PROTOCOL']!r} is not supported; "
                f"use one of {', '.join(PROTOCOLS)}"
            )
        files = {
            name: read.text(name).strip()
            for name in (
                "KAFKA_SSL_CAFILE",
                "KAFKA_SSL_CERTFILE",
                "KAFKA_SSL_KEYFILE",
                "KAFKA_SASL_USERNAME_FILE",
                "KAFKA_SASL_PASSWORD_FILE",
            )
        }
        if protocol == "PLAINTEXT":
            stray = [name for name, value in files.items() if value]
            if stray:  # a half-configured TLS set-up must not silently fall back to plaintext
                raise SettingsError(
                    f"{', '.join(stray)} set but KAFKA_SECURITY_PROTOCOL is PLAINTEXT; "
                    "set KAFKA_SECURITY_PROTOCOL=SSL (mTLS) or SASL_SSL (SCRAM), or unset them"
                )
            return cls()
        for name in ("KAFKA_SSL_CAFILE", "KAFKA_SSL_CERTFILE", "KAFKA_SSL_KEYFILE"):
            if files[name]:
                _readable(name, files[name])
        if bool(files["KAFKA_SSL_CERTFILE"]) != bool(files["KAFKA_SSL_KEYFILE"]):
            raise SettingsError(
                "KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together (a KafkaUser's user.crt and "
                "user.key); set both or neither"
            )
        username = password = ""
        if protocol == "SASL_SSL":
            for name in ("KAFKA_SASL_USERNAME_FILE", "KAFKA_SASL_PASSWORD_FILE"):
                if not files[name]:
                    raise SettingsError(
                        f"KAFKA_SECURITY_PROTOCOL=SASL_SSL needs {name} (a file holding the SCRAM-SHA-512 "
                        "user name or password, e.g. a mounted KafkaUser secret)"
                    )
            username = _readable("KAFKA_SASL_USERNAME_FILE", files["KAFKA_SASL_USERNAME_FILE"]).strip()
            password = _readable("KAFKA_SASL_PASSWORD_FILE", files["KAFKA_SASL_PASSWORD_FILE"]).strip()
        security = cls(
            protocol,
            files["KAFKA_SSL_CAFILE"],
            files["KAFKA_SSL_CERTFILE"],
            files["KAFKA_SSL_KEYFILE"],
            username,
            password,
        )
        security.ssl_context  # noqa: B018 - fail at start-up on a bad certificate, not on first connect
        return security

    @cached_property
    def ssl_context(self) -> ssl.SSLContext | None:
        """The one TLS context for every client of this process (None for PLAINTEXT)."""
        if self.protocol == "PLAINTEXT":
            return None
        from aiokafka.helpers import create_ssl_context

        try:
            context: ssl.SSLContext = create_ssl_context(
                cafile=self.cafile or None, certfile=self.certfile or None, keyfile=self.keyfile or None
            )
            return context
        except (ssl.SSLError, OSError) as exc:
            raise SettingsError(
                f"cannot build the Kafka TLS context from KAFKA_SSL_CAFILE={self.cafile!r}, "
                f"KAFKA_SSL_CERTFILE={self.certfile!r}, KAFKA_SSL_KEYFILE={self.keyfile!r}: {exc} "
                "(are these PEM files, and does the key belong to the certificate?)"
            ) from exc

    @cached_property
    def principal(self) -> str:
        """Who the cluster sees: ``User:<SCRAM user>``, ``User:<certificate CN>``, or anonymous.

        A certificate's CN is the KafkaUser's name (Strimzi's convention; the test brokers map
        the DN to it with ``ssl.principal.mapping.rules``).
        """
        if self.protocol == "SASL_SSL":
            return f"User:{self.sasl_username}"
        if self.certfile:
            from cryptography import x509
            from cryptography.x509.oid import NameOID

            cert = x509.load_pem_x509_certificate(Path(self.certfile).read_bytes())
            names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
            return f"User:{names[0].value!s}" if names else f"User:{cert.subject.rfc4514_string()}"
        return "User:ANONYMOUS"

    def client_options(self) -> dict[str, Any]:
        """The aiokafka keyword arguments for this protocol (shared by every client kind)."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.protocol != "PLAINTEXT":
            options["ssl_context"] = self.ssl_context
        if self.protocol == "SASL_SSL":
            options |= {
                "sasl_mechanism": SASL_MECHANISM,
                "sasl_plain_username": self.sasl_username,
                "sasl_plain_password": self.sasl_password,
            }
        return options


def _readable(variable: str, path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{variable}={path!r} cannot be read: {exc.__class__.__name__}: {exc}") from exc
