"""A TLS terminator that requires client certificates, in front of a plaintext broker.

Tansu's own TLS flags do not work (docs/design.md), so the mTLS path is tested the way many
Kafka deployments terminate TLS: a proxy checks the client certificate against the CA and
forwards the bytes to the broker, which advertises the proxy's address. It runs on its own
event loop in a thread, so the test process can use blocking helpers meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pki:
    """PEM files in Strimzi's layout: the cluster CA, the broker's and one KafkaUser's pair."""

    ca_crt: Path
    server_crt: Path
    server_key: Path
    user_crt: Path
    user_key: Path


def make_pki(directory: Path) -> Pki:
    """A fresh CA, a server certificate for 127.0.0.1/localhost, and a client certificate.

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
    server = leaf(
        "triage-kafka-brokers", [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    )
    user = leaf("triage-queue", None)  # Strimzi: CN = the KafkaUser's name
    files = {
        "ca.crt": ca.public_bytes(serialization.Encoding.PEM),
        "server.crt": server[0],
        "server.key": server[1],
        "user.crt": user[0],
        "user.key": user[1],
    }
    for name, data in files.items():
        (directory / name).write_bytes(data)
        (directory / name).chmod(0o600)
    return Pki(*(directory / n for n in ("ca.crt", "server.crt", "server.key", "user.crt", "user.key")))


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


class MutualTlsProxy:
    """Accepts TLS with a client certificate signed by the CA on ``port``; pipes to ``upstream``."""

    def __init__(self, pki: Pki, upstream: tuple[str, int], port: int) -> None:
        self.upstream = upstream
        self.port = port
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(pki.ca_crt))
        self.context.load_cert_chain(str(pki.server_crt), str(pki.server_key))
        self.context.verify_mode = ssl.CERT_REQUIRED  # no certificate, no connection
        self.client_names: list[str] = []  # the CN of every verified client certificate
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="mtls-proxy")
        self._server: asyncio.base_events.Server | None = None

    def start(self) -> None:
        """Listen on 127.0.0.1:``port``; return once the socket is bound."""
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._serve, "127.0.0.1", self.port, ssl=self.context), self._loop
        )
        self._server = future.result(10)

    def stop(self) -> None:
        """Close the listener and every piped connection."""

        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        peer = client_w.get_extra_info("peercert") or {}
        self.client_names.extend(v for rdn in peer.get("subject", ()) for k, v in rdn if k == "commonName")
        try:
            broker_r, broker_w = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_pipe(client_r, broker_w), _pipe(broker_r, client_w), return_exceptions=True)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()
