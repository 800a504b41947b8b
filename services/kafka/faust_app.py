"""Building faust apps the same way for every faust service (settings tuned for Tansu and Kafka)."""

from __future__ import annotations

from typing import Any

import faust
from faust.auth import SASLCredentials, SSLCredentials
from faust.sensors.prometheus import setup_prometheus_sensors

from proto.topics import QUEUE_PARTITIONS
from services.kafka.faust_transport import TriageFaustApp
from services.kafka.security import SASL_MECHANISM, KafkaSecurity
from services.kafka.settings import KafkaSettings
from services.kafka.worker_settings import WorkerSettings
from services.observability.consumer_lag import watch_consumer_lag


def make_faust_app(app_id: str, kafka: KafkaSettings, worker: WorkerSettings) -> TriageFaustApp:
    """A faust App with at-least-once processing (the embedded broker has no transactions).

    It serves Prometheus metrics at ``/metrics``: faust's sensor (prefix ``faust_``), the
    consumer lag per partition, and every metric in the default registry (``triage_`` domain metrics).
    """
    app = TriageFaustApp(
        kafka.group(app_id),
        fetch_max_wait_ms=kafka.fetch_max_wait_ms,
        broker=[f"kafka://{hp}" for hp in kafka.bootstrap_servers.split(",")],
        # faust's producer, consumers and admin take their TLS/SASL options from here
        broker_credentials=faust_credentials(kafka.security),
        store="memory://",
        datadir=worker.data_dir,
        autodiscover=False,
        web_enabled=True,
        web_host=worker.web_host,
        web_port=worker.web_port,
        web_bind=worker.web_host,
        # faust's own pages (/router/, /table/, /graph/, /stats/) would show table keys and the
        # cluster's topology to anyone who reaches the port: off (issue #13). Views routed to a
        # partition's owner (app.router.route_req) do not need them.
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        web_in_thread=False,
        topic_partitions=QUEUE_PARTITIONS,
        topic_replication_factor=1,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=worker.session_timeout_s,
        # static membership: a restarted process with the same name gets its partitions back
        # without waiting out its old session (docs/deployment.md, "Group timeouts")
        consumer_group_instance_id=kafka.group_instance_id or None,
        broker_heartbeat_interval=worker.heartbeat_interval_s,
        broker_commit_every=100,
        broker_commit_interval=0.5,
        producer_linger=0.0,
        stream_wait_empty=False,
        table_standby_replicas=0,
        logging_config=None,
    )
    setup_prometheus_sensors(app, name_prefix="faust")
    # triage_consumer_lag_records{service,topic,partition}, computed from the consumer at scrape time.
    watch_consumer_lag(app, service=app_id.removeprefix("triage-"), namespace=kafka.namespace)
    return app


def faust_credentials(security: KafkaSecurity) -> Any:
    """faust's form of the same security settings every aiokafka client gets (None: plaintext)."""
    if security.protocol == "SSL":
        return SSLCredentials(security.ssl_context)
    if security.protocol == "SASL_SSL":
        return SASLCredentials(
            username=security.sasl_username,
            password=security.sasl_password,
            ssl_context=security.ssl_context,
            mechanism=SASL_MECHANISM,
        )
    return None


def raw_topic(app: faust.App, *names: str) -> faust.TopicT:
    """A topic whose keys and values faust passes through as bytes (we decode with msgspec)."""
    return app.topic(
        *names,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=QUEUE_PARTITIONS,
    )
