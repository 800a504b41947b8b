"""KAFKA_SECURITY_PROTOCOL and its files: read once, validated with errors naming the variable."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from services.config.env import SettingsError
from services.kafka.security import KafkaSecurity
from services.kafka.settings import KafkaSettings, bootstrap_from_env
from tests.support.pki import Pki, make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def _mtls(pki: Pki) -> dict[str, str]:
    return {
        "KAFKA_SECURITY_PROTOCOL": "SSL",
        "KAFKA_SSL_CAFILE": str(pki.ca_crt),
        "KAFKA_SSL_CERTFILE": str(pki.user_crt("triage-queue")),
        "KAFKA_SSL_KEYFILE": str(pki.user_key("triage-queue")),
    }


def test_without_security_variables_clients_connect_in_plaintext() -> None:
    options = KafkaSettings.from_env({"KAFKA_BOOTSTRAP_SERVERS": "k:9092"}).client_options()
    assert options == {"bootstrap_servers": "k:9092", "security_protocol": "PLAINTEXT"}


def test_a_kafka_user_certificate_gives_every_client_one_shared_tls_context(pki: Pki) -> None:
    kafka = KafkaSettings.from_env(_mtls(pki))
    first, second = kafka.client_options(), kafka.client_options()
    assert first["security_protocol"] == "SSL"
    assert isinstance(first["ssl_context"], ssl.SSLContext)
    assert first["ssl_context"] is second["ssl_context"]
    assert first["ssl_context"].verify_mode == ssl.CERT_REQUIRED


def test_scram_credentials_are_read_from_files_and_never_shown_in_the_settings_repr(
    pki: Pki, tmp_path: Path
) -> None:
    (tmp_path / "user").write_text("triage-queue\n")
    (tmp_path / "password").write_text("s3cret-pw\n")
    kafka = KafkaSettings.from_env(
        {
            "KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
            "KAFKA_SSL_CAFILE": str(pki.ca_crt),
            "KAFKA_SASL_USERNAME_FILE": str(tmp_path / "user"),
            "KAFKA_SASL_PASSWORD_FILE": str(tmp_path / "password"),
        }
    )
    options = kafka.client_options()
    assert (options["security_protocol"], options["sasl_mechanism"]) == ("SASL_SSL", "SCRAM-SHA-512")
    assert (options["sasl_plain_username"], options["sasl_plain_password"]) == ("triage-queue", "s3cret-pw")
    assert "s3cret-pw" not in repr(kafka)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT"}, "KAFKA_SECURITY_PROTOCOL"),
        ({"KAFKA_SSL_CAFILE": "/etc/ca.crt"}, "KAFKA_SSL_CAFILE"),
        ({"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": "/nonexistent/ca.crt"}, "KAFKA_SSL_CAFILE"),
        ({"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_USERNAME_FILE"),
        ({"KAFKA_FETCH_MAX_WAIT_MS": "fast"}, "KAFKA_FETCH_MAX_WAIT_MS"),
        ({"TRIAGE_BROKER_PORT": "90920"}, "TRIAGE_BROKER_PORT"),
    ],
)
def test_a_bad_kafka_setting_is_refused_with_the_variable_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        KafkaSettings.from_env(env)


def test_a_certificate_without_its_key_is_refused(pki: Pki) -> None:
    env = _mtls(pki) | {"KAFKA_SSL_KEYFILE": ""}
    with pytest.raises(SettingsError, match="KAFKA_SSL_KEYFILE"):
        KafkaSecurity.from_env(env)


def test_a_key_that_does_not_belong_to_the_certificate_is_refused_at_start_up(pki: Pki) -> None:
    env = _mtls(pki) | {"KAFKA_SSL_KEYFILE": str(pki.server_key)}
    with pytest.raises(SettingsError, match="does the key belong"):
        KafkaSecurity.from_env(env)


def test_the_embedded_broker_port_selects_the_bootstrap_address_unless_a_cluster_is_set() -> None:
    assert bootstrap_from_env({}) == "127.0.0.1:9092"
    assert bootstrap_from_env({"TRIAGE_BROKER_PORT": "19092"}) == "127.0.0.1:19092"
    assert (
        bootstrap_from_env({"TRIAGE_BROKER_PORT": "19092", "KAFKA_BOOTSTRAP_SERVERS": "k:9093"}) == "k:9093"
    )


def test_the_principal_named_in_refusals_is_the_certificates_cn_the_scram_user_or_anonymous(
    pki: Pki, tmp_path: Path
) -> None:
    assert KafkaSecurity.from_env(_mtls(pki)).principal == "User:triage-queue"
    (tmp_path / "user").write_text("triage-intake\n")
    (tmp_path / "password").write_text("pw\n")
    scram = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_USERNAME_FILE": str(tmp_path / "user"),
        "KAFKA_SASL_PASSWORD_FILE": str(tmp_path / "password"),
    }
    assert KafkaSecurity.from_env(scram).principal == "User:triage-intake"
    assert KafkaSecurity.from_env({}).principal == "User:ANONYMOUS"
