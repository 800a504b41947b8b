# Two set-up commands: `make run` and `make test`. Each bootstraps .venv itself.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# `make run` needs the services and the embedded broker only (runtime + dev extra); the test
# stamp installs every extra and so satisfies the run stamp as well.
RUN_STAMP := $(VENV)/.installed-run
MYPY_PATHS := proto/events.py services/queue/domain services/intake/domain services/notifier/domain \
	services/staff/domain services/simulate/domain services/opening_hours services/forecast/domain services/queue_model services/config

.PHONY: run test test-fast test-slow test-kafka kafka-libs lint bench clean

$(RUN_STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip uninstall -q -y triage 2>/dev/null || true  # the old distribution name
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[dev]'
	@touch $(RUN_STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@$(BIN)/python -m pip uninstall -q -y triage 2>/dev/null || true  # the old distribution name
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test]'
	@touch $(STAMP) $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/triage up

# The e2e tier runs twice: on the embedded Tansu (with everything else) and on Apache Kafka
# (only the tests that use the session broker; tests/conftest.py, --broker-tests-only).
test: lint kafka-libs
	bash scripts/ensure-prometheus.sh
	@echo "==== unit, deploy and e2e tiers; e2e on the embedded Tansu broker ===="
	$(BIN)/python -m pytest -m "not slow" --broker tansu $(PYTEST_ARGS)
	@echo "==== e2e tier on Apache Kafka 4.4.0 (one KRaft node) ===="
	$(BIN)/python -m pytest -m "not slow" --broker kafka --broker-tests-only $(PYTEST_ARGS)

# Only the Kafka pass of `make test`.
test-kafka: $(STAMP) kafka-libs
	$(BIN)/python -m pytest -m "not slow" --broker kafka --broker-tests-only $(PYTEST_ARGS)

# Apache Kafka's jars, fetched with Maven once into ~/.cache/triage (TRIAGE_KAFKA_CACHE);
# needs Java 17+ and Maven the first time, Java only after.
kafka-libs: $(STAMP)
	$(BIN)/python -m services.kafka.kafka_dist

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

# The soak, chaos and zombie runs, on both brokers like `make test` (the zombie test is a strict
# xfail on Tansu and must pass on Kafka; the 3-node chaos run starts its own Kafka cluster);
# then every property test ten times deeper than in `make test` (tests/support/property_depth.py):
# the queue's (crash, recovery, expiry, heap; ~3 min), intake's phone fast path and the
# simulator's engine (~2 min).
PROPERTY_TESTS = tests/unit/queue tests/unit/intake/test_phone.py tests/unit/simulate/test_engine.py
test-slow: $(STAMP) kafka-libs
	$(BIN)/python -m pytest -m slow --broker tansu $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m slow --broker kafka --broker-tests-only $(PYTEST_ARGS)
	TRIAGE_PROPERTY_DEPTH=10 $(BIN)/python -m pytest $(PROPERTY_TESTS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy $(MYPY_PATHS)

clean:
	rm -rf $(VENV) var .pytest_cache

# ---- wire contract and deployment (deploy/k8s/README.md) ---------------------------------
.PHONY: contract contract-check image k8s-render
IMAGE ?= registry.example.se/triage/triage:0.1.0

# Regenerate everything derived from the code: proto/schemas, proto/asyncapi.yaml and
# deploy/k8s/base/generated (KafkaTopics, KafkaUsers, ConfigMaps, PrometheusRule, dashboard).
contract: $(STAMP)
	$(BIN)/python -m proto.export
	$(BIN)/python deploy/k8s/generate.py

contract-check: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit/proto/test_exported_contract_is_current.py tests/deploy/test_generated_manifests.py

# Needs a Docker engine (none on the development machines here).
image:
	docker build -t $(IMAGE) .

k8s-render: $(STAMP)
	@mkdir -p var; for o in dev prod; do $$(deploy/k8s/ensure-kustomize.sh) deploy/k8s/overlays/$$o > var/k8s-$$o.yaml && echo "var/k8s-$$o.yaml"; done
