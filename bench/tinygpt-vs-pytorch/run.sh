#!/usr/bin/env bash
# The tiny GPT of templates/tinygpt, trained side by side in C# (AutoResearch.Nn) and PyTorch on this
# machine for the same time budget, one after the other. Prints tokens/s, val_bpb, MFU, the C# per-op
# breakdown, and as its last line `ratio: X` (C# tokens/s over PyTorch tokens/s).
#
# Usage: bench/tinygpt-vs-pytorch/run.sh [SECONDS]        (default 60; needs python3-torch, libopenblas0-openmp)
# Env:   DATA (default ../shared/data/tinyshakespeare/input.txt from the repository root), THREADS (default 2)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SECONDS_BUDGET="${1:-60}"
THREADS="${THREADS:-2}"
DATA="${DATA:-$ROOT/../shared/data/tinyshakespeare/input.txt}"
OPENBLAS="/usr/lib/x86_64-linux-gnu/openblas-openmp"
FLOP_PER_TOKEN=5.5e6     # forward + backward of this model, per token
PEAK_FLOPS=180e9         # 2 cores, measured peak FMA throughput on this machine
PY=/usr/bin/python3

[[ -f "$DATA" ]] || { echo "error: no data at $DATA; set DATA=PATH to tiny shakespeare" >&2; exit 2; }
$PY -c "import torch" 2>/dev/null || { echo "error: $PY cannot import torch; apt-get install -y python3-torch libopenblas0-openmp" >&2; exit 2; }
[[ -d "$OPENBLAS" ]] || { echo "error: $OPENBLAS missing; apt-get install -y libopenblas0-openmp" >&2; exit 2; }

# Busy fraction of all cores over 2 s, from /proc/stat (other processes skew a benchmark on 2 cores).
busy() {
  local a b
  a=($(head -1 /proc/stat)); sleep 2; b=($(head -1 /proc/stat))
  awk -v u=$(( (b[1]+b[2]+b[3]+b[6]+b[7]) - (a[1]+a[2]+a[3]+a[6]+a[7]) )) -v i=$(( (b[4]+b[5]) - (a[4]+a[5]) )) 'BEGIN { printf "%.0f", 100 * u / (u + i) }'
}
# Waits up to 60 s for the machine to be idle (under 10% busy) and reports what it found.
wait_quiet() {
  local b waited=0
  b=$(busy)
  while (( b > 10 && waited < 60 )); do sleep 3; waited=$((waited + 5)); b=$(busy); done
  echo "$b"
}

# Runs a command with its output to $1 and sets OTHERS to the share of the machine (percent of all cores)
# that other processes used meanwhile: all busy CPU time from /proc/stat minus this command's own.
run_measured() {
  local log=$1; shift
  local a b t own
  a=($(head -1 /proc/stat))
  t=$( ( "$@" > "$log" 2>&1; times ) | tail -1 )
  b=($(head -1 /proc/stat))
  own=$(echo "$t" | awk '{ split($1, u, "m"); split($2, s, "m"); printf "%d", 100 * (u[1] * 60 + u[2] + s[1] * 60 + s[2]) }')
  OTHERS=$(awk -v busy=$(( (b[1]+b[2]+b[3]+b[6]+b[7]+b[8]) - (a[1]+a[2]+a[3]+a[6]+a[7]+a[8]) )) \
               -v idle=$(( (b[4]+b[5]) - (a[4]+a[5]) )) -v own="$own" \
               'BEGIN { o = busy - own; if (o < 0) o = 0; printf "%.0f", 100 * o / (busy + idle) }')
}

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date:    $(date -u +%Y-%m-%dT%H:%M:%SZ); dotnet $(dotnet --version); torch $($PY -c 'import torch; print(torch.__version__)')"

# C#: publish the fixed library, lay out the template as `autoresearch init` does, compile once.
dotnet publish "$ROOT/src/AutoResearch.TinyGpt" -c Release -o "$WORK/lib" --nologo -v quiet > "$WORK/publish.log" 2>&1 || { cat "$WORK/publish.log"; exit 1; }
mkdir -p "$WORK/ws"
for f in "$ROOT"/templates/tinygpt/*; do sed "s#{{AUTORESEARCH_LIB}}#$WORK/lib#g" "$f" > "$WORK/ws/$(basename "$f")"; done
(cd "$WORK/ws" && dotnet build train.cs > "$WORK/build.log" 2>&1) || { cat "$WORK/build.log"; exit 1; }

CS_BUSY=$(wait_quiet)
echo "running C# (templates/tinygpt/train.cs) for $SECONDS_BUDGET s on $THREADS threads (machine $CS_BUSY% busy before)..."
cs_run() { cd "$WORK/ws" && AUTORESEARCH_DATA="$DATA" AUTORESEARCH_TIME_BUDGET="$SECONDS_BUDGET" AUTORESEARCH_THREADS="$THREADS" AUTORESEARCH_PROFILE=1 dotnet run train.cs; }
run_measured "$WORK/cs.log" cs_run; CS_OTHERS=$OTHERS
grep -q '^val_bpb:' "$WORK/cs.log" || { cat "$WORK/cs.log"; exit 1; }
PY_BUSY=$(wait_quiet)
echo "running PyTorch (train_torch.py, OpenBLAS/OpenMP) for $SECONDS_BUDGET s on $THREADS threads (machine $PY_BUSY% busy before)..."
py_run() { LD_LIBRARY_PATH="$OPENBLAS" AUTORESEARCH_THREADS="$THREADS" $PY -W ignore "$HERE/train_torch.py" "$DATA" "$SECONDS_BUDGET"; }
run_measured "$WORK/py.log" py_run; PY_OTHERS=$OTHERS
grep -q '^val_bpb:' "$WORK/py.log" || { cat "$WORK/py.log"; exit 1; }

get() { sed -n "s/^$1: *//p" "$2" | tail -1; }
CS_TPS=$(get tokens_per_sec "$WORK/cs.log"); PY_TPS=$(get tokens_per_sec "$WORK/py.log")
CS_BPB=$(get val_bpb "$WORK/cs.log"); PY_BPB=$(get val_bpb "$WORK/py.log")
CS_STEPS=$(get num_steps "$WORK/cs.log"); PY_STEPS=$(get num_steps "$WORK/py.log")
CS_TOTAL=$(get total_seconds "$WORK/cs.log"); PY_TOTAL=$(get total_seconds "$WORK/py.log")
mfu() { awk -v t="$1" -v f="$FLOP_PER_TOKEN" -v p="$PEAK_FLOPS" 'BEGIN { printf "%.1f%%", 100 * t * f / p }'; }

echo
echo "| trainer | tokens/s | steps | val_bpb | MFU | total s | other load before / during |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
echo "| C# AutoResearch.Nn | $CS_TPS | $CS_STEPS | $CS_BPB | $(mfu "$CS_TPS") | $CS_TOTAL | $CS_BUSY% / $CS_OTHERS% |"
echo "| PyTorch $($PY -c 'import torch; print(torch.__version__)') + OpenBLAS | $PY_TPS | $PY_STEPS | $PY_BPB | $(mfu "$PY_TPS") | $PY_TOTAL | $PY_BUSY% / $PY_OTHERS% |"
echo "(other load: the share of both cores used by other processes just before and during each run; a fair comparison needs both near 0%)"
echo
echo "C# time per training step by op (ms, steady state):"
sed -n 's/^profile: //p' "$WORK/cs.log"
echo
CS_MED=$(sed -n 's/^profile: median step .* ms, \([0-9]*\) tokens.*/\1/p' "$WORK/cs.log")
PY_MED=$(sed -n 's/^profile: median step .* ms, \([0-9]*\) tokens.*/\1/p' "$WORK/py.log")
awk -v c="$CS_MED" -v p="$PY_MED" 'BEGIN { printf "tokens/s at the median step (robust to other processes): C# %d, PyTorch %d, ratio %.2f\n", c, p, c / p }'
awk -v c="$CS_BPB" -v p="$PY_BPB" 'BEGIN { printf "val_bpb: C# %s vs PyTorch %s (%s)\n", c, p, (c < p ? "C# lower" : "PyTorch lower") }'
awk -v c="$CS_TPS" -v p="$PY_TPS" 'BEGIN { printf "ratio: %.2f\n", c / p }'
