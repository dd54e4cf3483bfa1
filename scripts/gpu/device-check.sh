#!/usr/bin/env bash
# The GPU device check: run ONCE on the device machine, from the project's root, after the
# .gpu/part* files have been stashed (scripts/gpu/README.md has the exact call sequence).
#   bash scripts/gpu/device-check.sh
# Needs, carried with the call: dist/ (pnpm bundle), the last .gpu/partNN and .gpu/assemble.sh.
# Steps, each under its own time limit, each run whatever happened before:
#   env       unpack node + onnxruntime-node 1.29.0 + the CUDA 13 provider (.gpu/assemble.sh env)
#   info      nvidia-smi, node, rerankd gpu-setup --check
#   fixtures  every reference pair of the 4 fixture models on cuda:0 in float32 / float16 / bfloat16
#             vs transformers fp32 (|Δscore| < 1e-4 / 1e-2 / 1e-2), all nodes on the GPU → fixtures.jsonl
#   model     rerankd make-random-model --like qwen3-reranker-0.6b --out /tmp/q06
#   bench     the engine's step on /tmp/q06, fp16 and bf16: 64×320, 128×320, mixed 100–600 → bench.jsonl
#   anchor    transformers bf16 (sdpa) in the same call: 64×320, the same mixed lengths, 128×320 → anchor.jsonl
#   w2        `rerankd bench --workload w2` on /tmp/q06 in fp16, against its naive baseline → w2.jsonl
# Everything printed is also in $OUT/device-check.log; $OUT/summary.txt has the numbers.
set -u
OUT=${OUT:-/tmp/rerankd-device-check}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
exec > >(tee -a "$OUT/device-check.log") 2>&1

BUDGET=${BUDGET:-330}          # seconds for all steps; a step gets at most what is left
ONLY=${ONLY:-}                 # e.g. "model w2": run only these steps (env and info always run)
T0=$(date +%s)
left() { echo $(( BUDGET - ($(date +%s) - T0) )); }

# step NAME LIMIT_S COMMAND... : runs with `timeout`, logs rc and seconds to steps.jsonl, never aborts.
step() {
  local name=$1 limit=$2 rc start now
  shift 2
  if [ -n "$ONLY" ] && [[ " $ONLY env info " != *" $name "* ]]; then
    echo "=== [$name] not in ONLY"
    return 0
  fi
  now=$(left)
  if [ "$now" -lt 15 ]; then
    echo "=== [$name] SKIPPED: ${now}s of the budget left"
    echo "{\"step\":\"$name\",\"skipped\":true}" >> "$OUT/steps.jsonl"
    return 0
  fi
  [ "$limit" -gt "$now" ] && limit=$now
  echo "=== [$name] start $(date -u +%T), limit ${limit}s"
  start=$(date +%s)
  timeout -k 5 "$limit" "$@"
  rc=$?
  echo "=== [$name] rc=$rc ($([ $rc -eq 124 ] && echo 'TIMED OUT' || echo done)) in $(( $(date +%s) - start ))s"
  echo "{\"step\":\"$name\",\"rc\":$rc,\"seconds\":$(( $(date +%s) - start )),\"limit\":$limit}" >> "$OUT/steps.jsonl"
  return 0
}

# --- env: unpack once in a child (time-limited), then export PATH / NODE_PATH / LD_LIBRARY_PATH here.
if [ -f .gpu/assemble.sh ]; then
  step env 120 bash .gpu/assemble.sh env
  # shellcheck disable=SC1091
  source .gpu/assemble.sh env > /dev/null 2>&1
  if node -e "require('onnxruntime-node')" 2> /dev/null; then echo "=== [env] node $(node --version), onnxruntime-node from $NODE_PATH"
  else echo "=== [env] FAILED: node or onnxruntime-node is missing; the node steps will fail"; fi
else
  echo "=== [env] .gpu/assemble.sh was not carried: node steps need node and onnxruntime-node on PATH/NODE_PATH"
fi
export NVIDIA_TF32_OVERRIDE=0   # float32 means float32 (the engine sets it too, for float32 CUDA sessions)
PY=python3
python3 -c 'import torch' 2>/dev/null || { [ -x /opt/torch/.venv/bin/python3 ] && PY=/opt/torch/.venv/bin/python3; }

# --- info
step info 40 bash -c 'nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv; nvidia-smi | head -4; echo "node $(node --version)"; echo "NODE_PATH=${NODE_PATH:-}"; node dist/rerankd.mjs gpu-setup --check'

# --- fixtures (profiles stay in /tmp: large, and only their summary matters)
DEVICE=${DEVICE:-cuda:0}
mkdir -p /tmp/rerankd-profiles
step fixtures 150 node dist/check-fixtures.mjs --device "$DEVICE" --dtypes "${FIXTURE_DTYPES:-float32,float16,bfloat16}" \
  --out "$OUT/fixtures.jsonl" --profile-dir /tmp/rerankd-profiles

# --- random Qwen3-Reranker-0.6B, then the engine bench and the anchor on the same GPU
rm -rf /tmp/q06
step model 90 node dist/rerankd.mjs make-random-model --like qwen3-reranker-0.6b --out /tmp/q06
step bench 150 node dist/bench-gpu.mjs --model /tmp/q06 --device "$DEVICE" --dtypes float16,bfloat16 --batches 64,128 \
  --len 320 --mixed-pairs 256 --mixed-min 100 --mixed-max 600 --budget-s 120 \
  --out "$OUT/bench.jsonl" --lengths-out "$OUT/mixed-lengths.json"
step anchor-64x320 75 bash -o pipefail -c "$PY scripts/gpu/anchor_transformers.py --batch 64 --len 320 | tee -a '$OUT/anchor.jsonl'"
LENGTHS=""
[ -f "$OUT/mixed-lengths.json" ] && LENGTHS="--lengths $OUT/mixed-lengths.json"   # the engine's exact lengths
step anchor-mixed 75 bash -o pipefail -c "$PY scripts/gpu/anchor_transformers.py --mixed 100:600 --pairs 256 --batch 64 --iters 3 $LENGTHS | tee -a '$OUT/anchor.jsonl'"
step anchor-128x320 60 bash -o pipefail -c "$PY scripts/gpu/anchor_transformers.py --batch 128 --len 320 --iters 4 | tee -a '$OUT/anchor.jsonl'"
# Last: it runs on what the budget leaves (set BUDGET higher, or ONLY="model w2").
step w2 120 bash -o pipefail -c "node dist/rerankd.mjs bench --workload w2 --model /tmp/q06 --device '$DEVICE' --dtype float16 \
  --clients 8 --docs 64 --doc-tokens 256 --requests 2 --baseline naive --roofline-seconds 0.2 | tee -a '$OUT/w2.jsonl'"

# --- summary: the lines that matter, short enough to read in the call's output tail
{
  echo "##### rerankd device check — $(date -u +%FT%TZ) — $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
  echo "## steps"; cat "$OUT/steps.jsonl" 2>/dev/null
  echo "## fixtures (max |Δscore| vs transformers fp32; ok = within tolerance and every node on the GPU)"
  if [ -f "$OUT/fixtures.jsonl" ]; then
    node -e '
      const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => JSON.parse(l));
      for (const l of lines) {
        if (l.check === "fixtures-summary") { console.log(`summary: ${l.runs} runs, ${l.failures} failed, ok=${l.ok}`); continue; }
        const nodes = l.nodes_by_provider ? Object.entries(l.nodes_by_provider).map(([k, v]) => `${k.replace("ExecutionProvider", "")}:${v}`).join(",") : "-";
        console.log(`${l.ok ? "ok  " : "FAIL"} ${l.fixture.padEnd(18)} ${l.dtype.padEnd(9)} max_dscore=${l.max_dscore ?? "-"} max_dlogit=${l.max_dlogit ?? "-"} nodes=${nodes}${l.cpu_fallback ? " CPU-FALLBACK cpu_ops=" + (l.cpu_ops || []).join("+") : ""}${l.error ? " error=" + l.error.slice(0, 200) : ""}`);
      }' "$OUT/fixtures.jsonl" 2>/dev/null || cat "$OUT/fixtures.jsonl"
  fi
  echo "## engine (rerankd-ort)"; grep -h -v '"bench":"config"' "$OUT/bench.jsonl" 2>/dev/null
  echo "## anchor (transformers bf16 sdpa)"; cat "$OUT/anchor.jsonl" 2>/dev/null
  echo "## w2 (rerankd bench, fp16, against one pair per run)"; cat "$OUT/w2.jsonl" 2>/dev/null
} > "$OUT/summary.txt" 2>&1
cat "$OUT/summary.txt"
echo "device-check done in $(( $(date +%s) - T0 ))s; files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
