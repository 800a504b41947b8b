#!/usr/bin/env bash
# Every benchmark behind docs/performance.md, in order, each with its own private broker and
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
  echo "# 3. queue vs passthrough";     $PY -m benchmarks.passthrough --cases 20000 --serves 10000 \
                                            --out-dir "$OUT" --profile "$OUT/queue-passthrough-profile.txt"
  $PY -m benchmarks.profile_summary "$OUT/queue-passthrough-profile.txt" --top 15
  echo "# 4. mixed traffic, 100 submissions/s, 60 ServeNext/s"
  $LG --name mixed-100 --label "100 submissions/s + 60 ServeNext/s" --rate 100 --ramp 5 --duration 30 \
      --serve-rate 60 --drain 40 || true
  echo "# 5. 1k ServeNext/s on prefilled queues (queue worker profiled)"
  $LG --name serve-1k --label "1k ServeNext/s" --rate 0 --prefill 5000 --serve-rate 1000 --duration 15 \
      --drain 60 --profile-queue "$OUT/queue-serve-1k-profile.txt" || true
  $PY -m benchmarks.profile_summary "$OUT/queue-serve-1k-profile.txt" --top 15
  echo "# 6. 1k submissions/s over HTTP"
  $LG --name http-1k --label "1k submissions/s" --rate 1000 --ramp 5 --duration 20 --serve-rate 0 \
      --drain 30 || true
  echo "# 7. find the max sustained submission rate (p99 <= 10 ms, no errors)"
  $LG --name find-max --label "find max" --find-max --rate 25 --step-factor 1.6 --max-steps 7 \
      --duration 8 --serve-ratio 0.5 --drain 20 || true
} 2>&1 | tee "$OUT/summary.txt"
echo "all results in $OUT"
