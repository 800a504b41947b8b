#!/usr/bin/env bash
# Issue 24's figures in one run, this tree against a baseline commit side by side where the
# benchmark can (docs/performance.md, "Issue 24"). Run it on a quiet machine:
#   bash benchmarks/speed_check.sh [BASELINE_COMMIT]      (default 15a12e9, ~30 min on 2 cores)
#   QUICK=1 bash benchmarks/speed_check.sh                (small sizes: checks that it runs)
# Starts one Apache Kafka node of its own (`triage broker --kind kafka`) beside the embedded
# Tansu each benchmark starts; every benchmark's output goes to benchmarks/results/speed-<time>/.
set -euo pipefail
cd "$(dirname "$0")/.."
BASE="${1:-15a12e9}"
PY=.venv/bin/python
OUT="benchmarks/results/speed-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUT"
if [[ -n "${QUICK:-}" ]]; then
  PREFILL=2000 LAT_S=4 GC_SIZES=10000,100000 WAITING=20000 CASES=4000 SERVES=2000 INTAKE_S=3
else
  PREFILL=10000 LAT_S=12 GC_SIZES=10000,100000,1000000 WAITING=100000 CASES=20000 SERVES=10000 INTAKE_S=8
fi
PORT=$($PY -c 'from services.kafka.embedded_broker import free_port; print(free_port())')
KAFKA="127.0.0.1:$PORT"

step() {  # step NAME CMD...: run, tee into OUT/NAME.txt, say how long it took
  local name=$1; shift
  echo "==== [$(date -u +%H:%M:%S)] $name: $* (load $(cut -d' ' -f1-3 /proc/loadavg))"
  local t0=$SECONDS
  "$@" 2>&1 | tee "$OUT/$name.txt" | grep -E --line-buffered "^(\{|\||[A-Za-z].*(p99|ratio|GC|pause|answer|s$))" || true
  echo "==== $name took $((SECONDS - t0)) s"
}

echo "speed check: tree $(git rev-parse --short HEAD) against $BASE; results in $OUT"
$PY -m services.kafka.kafka_dist >/dev/null
.venv/bin/triage broker --kind kafka --port "$PORT" --var-dir "$OUT/kafka-var" >"$OUT/kafka.log" 2>&1 &
KPID=$!
trap 'kill $KPID 2>/dev/null || true; wait $KPID 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  (echo >"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 1
done

# 1. ServeNext -> YourTurn, the tree and the baseline alternating, at 200/s and 1000/s
step latency-tansu-200 $PY -m benchmarks.queue_latency --baseline "$BASE" --one-at-a-time --repeat 2 \
  --prefill $PREFILL --rate 200 --duration $LAT_S --out-dir "$OUT/latency-tansu-200"
step latency-tansu-1000 $PY -m benchmarks.queue_latency --baseline "$BASE" --one-at-a-time --repeat 2 \
  --prefill $PREFILL --rate 1000 --duration $((LAT_S / 2)) --out-dir "$OUT/latency-tansu-1000"
step latency-kafka-200 env KAFKA_BOOTSTRAP_SERVERS=$KAFKA QUEUE_TRANSACTIONS=on $PY -m benchmarks.queue_latency \
  --baseline "$BASE" --one-at-a-time --repeat 2 --prefill $PREFILL --rate 200 --duration $LAT_S \
  --out-dir "$OUT/latency-kafka-200"
step latency-kafka-1000 env KAFKA_BOOTSTRAP_SERVERS=$KAFKA QUEUE_TRANSACTIONS=on $PY -m benchmarks.queue_latency \
  --baseline "$BASE" --one-at-a-time --repeat 2 --prefill $PREFILL --rate 1000 --duration $((LAT_S / 2)) \
  --out-dir "$OUT/latency-kafka-1000"
# 2. GC pauses and the snapshot's event-loop pause at 10k/100k/1M waiting (in-process, baseline alongside)
step gc-pauses $PY -m benchmarks.gc_pauses --sizes $GC_SIZES --baseline "$BASE" --json
# 3. the queue worker against a bare aiokafka passthrough, snapshots on (the default)
step passthrough-tansu $PY -m benchmarks.passthrough --cases $CASES --serves $SERVES --out-dir "$OUT/passthrough-tansu"
step passthrough-kafka env KAFKA_BOOTSTRAP_SERVERS=$KAFKA $PY -m benchmarks.passthrough --cases $CASES \
  --serves $SERVES --out-dir "$OUT/passthrough-kafka"
# 4. kill -9 -> answering, restarted as production does it (same name and port, static membership)
step recovery-kafka env KAFKA_BOOTSTRAP_SERVERS=$KAFKA $PY -m benchmarks.queue_recovery --waiting $WAITING --static \
  --json --out-dir "$OUT/recovery-kafka"
step recovery-tansu $PY -m benchmarks.queue_recovery --waiting $WAITING --static --json --out-dir "$OUT/recovery-tansu"
# 5. intake against the bare endpoint, the baseline's intake alongside
step intake $PY benchmarks/intake_speed.py --baseline "$BASE" --seconds $INTAKE_S --rate 500 1000 \
  --phases closed,open --json "$OUT/intake.json"
echo "speed check done: $OUT"
