#!/usr/bin/env bash
# Every benchmark behind docs/performance.md (about 12 minutes on 2 cores), in order, each with its own private broker and
# services (started and stopped by the script itself). Usage, from the repository root:
#   bash benchmarks/run_all.sh [OUT_DIR]        # default benchmarks/results/<UTC time>
# Needs `make test-fast` (or any make target) once for .venv, plus py-spy:
#   .venv/bin/pip install -c constraints.txt -e '.[bench]'
set -euo pipefail
OUT=${1:-benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)}
PY=.venv/bin/python
LG=".venv/bin/triage loadgen --spawn --out-dir $OUT --no-progress --seed 1"
mkdir -p "$OUT"
{
  echo "# machine"; nproc; grep -m1 'model name' /proc/cpuinfo; grep MemTotal /proc/meminfo; uptime
  echo "# 1. broker fetch wait";        $PY -m benchmarks.broker_fetch_wait
  echo "# 2. codec headers";            $PY -m benchmarks.codec_headers
  echo "# 3. queue vs passthrough (no profiler attached)"
  $PY -m benchmarks.passthrough --cases 20000 --serves 10000 --out-dir "$OUT"
  echo "# 4. the same, smaller, with py-spy on the queue worker (profile only; its rate is slowed by sampling)"
  $PY -m benchmarks.passthrough --cases 8000 --serves 4000 --out-dir "$OUT" \
      --profile "$OUT/queue-passthrough-profile.txt"
  $PY -m benchmarks.profile_summary "$OUT/queue-passthrough-profile.txt" --top 15
  echo "# 5. mixed traffic, 100 submissions/s, 60 ServeNext/s"
  $LG --name mixed-100 --label "100 submissions/s + 60 ServeNext/s" --rate 100 --ramp 5 --duration 30 \
      --serve-rate 60 --drain 40 || true
  echo "# 6. 1k ServeNext/s on 10000 prefilled waiting cases (queue worker profiled)"
  $LG --name serve-1k --label "1k ServeNext/s" --rate 0 --prefill 10000 --serve-rate 1000 --duration 10 \
      --drain 60 --profile-queue "$OUT/queue-serve-1k-profile.txt" || true
  $PY -m benchmarks.profile_summary "$OUT/queue-serve-1k-profile.txt" --top 15
  echo "# 7. 1k submissions/s over HTTP"
  $LG --name http-1k --label "1k submissions/s" --rate 1000 --ramp 5 --duration 20 --serve-rate 0 \
      --drain 30 || true
  echo "# 8. the issue's targets as find-max bounds (p99 10/20/50 ms), from 25/s"
  $LG --name find-max-targets --label "find max, target bounds" --find-max --rate 25 --step-factor 2 \
      --max-steps 4 --duration 8 --serve-ratio 0.5 --drain 20 || true
  echo "# 9. intake capacity: max submission rate with p99 <= 100 ms, no errors, generator keeping up"
  $LG --name find-max-intake --label "find max, intake" --find-max --rate 40 --step-factor 1.5 \
      --max-steps 7 --duration 8 --serve-ratio 0 --bound-ingress-ms 100 --drain 20 || true
  echo "# 10. intake at HTTP speed (issue 12): vs bare Litestar endpoint, open-loop p99, --workers 2, duplicates"
  $PY benchmarks/intake_speed.py --seconds 15 --rate 500 --png "$OUT/intake-open-loop-latency.png" || true
} 2>&1 | tee "$OUT/summary.txt"
echo "all results in $OUT"
