"""A throw-away certificate authority in Strimzi's layout, made fresh by each test that needs TLS.

The cluster CA (``ca.crt``), the brokers' pair (``server.crt``/``server.key``, also a PEM
keystore ``server.pem`` that Kafka's ``ssl.keystore.type=PEM`` reads) and one pair per
KafkaUser (``<name>.crt``/``<name>.key``; Strimzi: CN = the KafkaUser's name).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

BROKER_NAME = "triage-kafka-brokers"  # the brokers' certificate CN (and principal, once mapped)


@dataclass(frozen=True)
class Pki:
    """PEM files: the cluster CA, the brokers' pair and one pair per user."""

    directory: Path
    ca_crt: Path
    server_crt: Path
    server_key: Path
    server_keystore: Path  # key then certificate in one PEM file (Kafka's PEM keystore)
    users: tuple[str, ...]

    def user_crt(self, name: str) -> Path:
        return self.directory / f"{name}.crt"

    def user_key(self, name: str) -> Path:
        return self.directory / f"{name}.key"


def make_pki(directory: Path, users: tuple[str, ...] = ("triage-queue",)) -> Pki:
    """A fresh CA, a server certificate for 127.0.0.1/localhost, and a client certificate per user.

    RFC 5280 profile (key identifiers, key usage), as Strimzi issues them: Python 3.13 verifies
    with VERIFY_X509_STRICT and refuses certificates without an Authority Key Identifier.
    """
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "triage-test-cluster-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_key_id = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())

    def leaf(name: str, san: list[x509.GeneralName] | None) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(cert_sign=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(ca_key_id, critical=False)
        )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        cert = builder.sign(ca_key, hashes.SHA256())
        key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return cert.public_bytes(serialization.Encoding.PEM), key_pem

    directory.mkdir(parents=True, exist_ok=True)
    # the brokers' certificate is also their client certificate towards the controller
    server = leaf(BROKER_NAME, [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
    files = {
        "ca.crt": ca.public_bytes(serialization.Encoding.PEM),
        "server.crt": server[0],
        "server.key": server[1],
        "server.pem": server[1] + server[0],
    }
    for user in users:
        files[f"{user}.crt"], files[f"{user}.key"] = leaf(user, None)
    for name, data in files.items():
        (directory / name).write_bytes(data)
        (directory / name).chmod(0o600)
    return Pki(
        directory,
        directory / "ca.crt",
        directory / "server.crt",
        directory / "server.key",
        directory / "server.pem",
        tuple(users),
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=not cert_sign,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )
