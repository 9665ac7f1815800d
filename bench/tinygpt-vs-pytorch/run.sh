#!/usr/bin/env bash
# The tiny GPT of templates/tinygpt, trained side by side in C# (AutoResearch.Nn) and PyTorch on this
# machine for the same time budget, one after the other, in each vector tier the CPU has, ROUNDS times each
# (alternating). Per tier: tokens/s of every round, the best and the median, val_bpb, the C# per-op breakdown,
# and the GEMMs of the linear layers against the tier's FMA peak measured here (kernels/); then one table of
# every tier. The last line is `ratio: X` (best rounds) for the last tier run.
#
# Tiers: both sides are held to the same instructions. The .NET runtime switches instruction sets off
# (DOTNET_EnableAVX512=0, DOTNET_EnableAVX2=0); PyTorch is held by ATEN_CPU_CAPABILITY and OpenBLAS's
# OPENBLAS_CORETYPE (SkylakeX-class kernels, Haswell, Nehalem).
#   avx512     everything the CPU has (only where it has AVX-512)
#   avx2       256-bit vectors with FMA          (C#: DOTNET_EnableAVX512=0; PyTorch: avx2, Haswell)
#   vector128  128-bit vectors, no FMA on x86    (C#: DOTNET_EnableAVX2=0;   PyTorch: default, Nehalem)
#
# Usage: bench/tinygpt-vs-pytorch/run.sh [SECONDS]        (default 60; needs python3-torch, libopenblas0-openmp)
# Env:   DATA (default ../shared/data/tinyshakespeare/input.txt from the repository root), THREADS (default 2),
#        ISA (a space-separated list of tiers; default every tier this CPU has), ROUNDS (runs of each trainer per tier,
#        default 3)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SECONDS_BUDGET="${1:-60}"
THREADS="${THREADS:-2}"
ROUNDS="${ROUNDS:-3}"
DATA="${DATA:-$ROOT/../shared/data/tinyshakespeare/input.txt}"
OPENBLAS="/usr/lib/x86_64-linux-gnu/openblas-openmp"
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

dotnet build "$HERE/kernels" -c Release -o "$WORK/kernels" --nologo -v quiet > "$WORK/kernels.log" 2>&1 || { cat "$WORK/kernels.log"; exit 1; }

if [[ -z "${ISA:-}" ]]; then
  ISA="vector128"
  grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo && ISA="avx2 $ISA"
  grep -qw avx512f /proc/cpuinfo && ISA="avx512 $ISA"
fi

cs_env() { case $1 in avx512) echo "X_TIER=avx512" ;; avx2) echo "DOTNET_EnableAVX512=0" ;; vector128) echo "DOTNET_EnableAVX2=0" ;; esac; }
py_env() { case $1 in avx512) echo "X_TIER=avx512" ;; avx2) echo "ATEN_CPU_CAPABILITY=avx2 OPENBLAS_CORETYPE=Haswell" ;; vector128) echo "ATEN_CPU_CAPABILITY=default OPENBLAS_CORETYPE=Nehalem" ;; esac; }
get() { sed -n "s/^$1: *//p" "$2" | tail -1; }
median_tps() { sed -n 's/^profile: median step .* ms, \([0-9]*\) tokens.*/\1/p' "$1"; }
SUMMARY="$WORK/summary.md"
echo "| tier | C# tokens/s, best (median) | PyTorch tokens/s, best (median) | **ratio of the best** | ratio of the medians | GEMM GFLOP/s | FMA peak GFLOP/s | GEMM % of peak | C# val_bpb | PyTorch val_bpb | other load C# / PyTorch, worst round |" > "$SUMMARY"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" >> "$SUMMARY"

# best and median of a list of numbers
best() { tr ' ' '\n' | grep . | sort -n | tail -1; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
maxof() { tr ' ' '\n' | grep . | sort -n | tail -1; }

for tier in $ISA; do
  echo
  echo "=== tier $tier: C# $(cs_env $tier | sed 's/X_TIER=avx512/(all instruction sets)/'); PyTorch $(py_env $tier | sed 's/X_TIER=avx512/(all instruction sets)/')"
  wait_quiet > /dev/null
  env $(cs_env $tier) "$WORK/kernels/KernelBench" "$THREADS" 0.5 > "$WORK/gemm-$tier.log" 2>&1 || { cat "$WORK/gemm-$tier.log"; exit 1; }
  sed -n '/^tier:/p; /^peak/p; /^| product/,/^| \*\*all/p' "$WORK/gemm-$tier.log"
  GEMM=$(sed -n 's/^gemm: \([0-9.]*\) GFLOP\/s, \([0-9]*\)% of the measured peak \([0-9.]*\)/\1 \2 \3/p' "$WORK/gemm-$tier.log")
  read -r GEMM_GF GEMM_PCT PEAK_GF <<< "$GEMM"

  CS_ALL=""; PY_ALL=""; CS_LOADS=""; PY_LOADS=""; BEST_CS=0; BEST_CS_LOG=""
  echo
  echo "| round | trainer | tokens/s | median-step tokens/s | steps | val_bpb | other load before / during |"
  echo "| ---: | --- | ---: | ---: | ---: | ---: | ---: |"
  for round in $(seq 1 "$ROUNDS"); do
    cs_log="$WORK/cs-$tier-$round.log"; py_log="$WORK/py-$tier-$round.log"
    CS_BUSY=$(wait_quiet)
    cs_run() { cd "$WORK/ws" && env $(cs_env $tier) AUTORESEARCH_DATA="$DATA" AUTORESEARCH_TIME_BUDGET="$SECONDS_BUDGET" AUTORESEARCH_THREADS="$THREADS" AUTORESEARCH_PROFILE=1 dotnet run --no-build train.cs; }
    run_measured "$cs_log" cs_run; CS_OTHERS=$OTHERS
    grep -q '^val_bpb:' "$cs_log" || { cat "$cs_log"; exit 1; }
    PY_BUSY=$(wait_quiet)
    py_run() { env $(py_env $tier) LD_LIBRARY_PATH="$OPENBLAS" AUTORESEARCH_THREADS="$THREADS" $PY -W ignore "$HERE/train_torch.py" "$DATA" "$SECONDS_BUDGET"; }
    run_measured "$py_log" py_run; PY_OTHERS=$OTHERS
    grep -q '^val_bpb:' "$py_log" || { cat "$py_log"; exit 1; }
    CS_TPS=$(get tokens_per_sec "$cs_log"); PY_TPS=$(get tokens_per_sec "$py_log")
    echo "| $round | C# AutoResearch.Nn | $CS_TPS | $(median_tps "$cs_log") | $(get num_steps "$cs_log") | $(get val_bpb "$cs_log") | $CS_BUSY% / $CS_OTHERS% |"
    echo "| $round | PyTorch $($PY -c 'import torch; print(torch.__version__)') + OpenBLAS | $PY_TPS | $(median_tps "$py_log") | $(get num_steps "$py_log") | $(get val_bpb "$py_log") | $PY_BUSY% / $PY_OTHERS% |"
    CS_ALL="$CS_ALL $CS_TPS"; PY_ALL="$PY_ALL $PY_TPS"; CS_LOADS="$CS_LOADS $CS_OTHERS"; PY_LOADS="$PY_LOADS $PY_OTHERS"
    if (( CS_TPS > BEST_CS )); then BEST_CS=$CS_TPS; BEST_CS_LOG=$cs_log; fi
    if [[ -z "${BEST_PY_LOG:-}" ]] || (( PY_TPS > $(get tokens_per_sec "$BEST_PY_LOG") )); then BEST_PY_LOG=$py_log; fi
  done

  CS_BEST=$(echo $CS_ALL | best); PY_BEST=$(echo $PY_ALL | best)
  CS_MED=$(echo $CS_ALL | median); PY_MED=$(echo $PY_ALL | median)
  echo
  echo "C# time per training step by op (ms, steady state), its best round:"
  sed -n 's/^profile: //p' "$BEST_CS_LOG"
  RATIO=$(awk -v c="$CS_BEST" -v p="$PY_BEST" 'BEGIN { printf "%.2f", c / p }')
  MRATIO=$(awk -v c="$CS_MED" -v p="$PY_MED" 'BEGIN { printf "%.2f", c / p }')
  echo "ratio ($tier): $RATIO of the best rounds, $MRATIO of the medians"
  echo "| $tier | $CS_BEST ($CS_MED) | $PY_BEST ($PY_MED) | **$RATIO** | $MRATIO | $GEMM_GF | $PEAK_GF | $GEMM_PCT% | $(get val_bpb "$BEST_CS_LOG") | $(get val_bpb "$BEST_PY_LOG") | $(echo $CS_LOADS | maxof)% / $(echo $PY_LOADS | maxof)% |" >> "$SUMMARY"
  unset BEST_PY_LOG
done

echo
echo "(each side trained $ROUNDS times per tier, alternating; a run's speed varies between processes on this kind of machine,"
echo " so the ratio compares the best round of each, and the medians beside it; other load: the share of both cores used by"
echo " other processes during a run, worst round; a fair comparison needs it near 0%)"
cat "$SUMMARY"
echo "ratio: $RATIO"
