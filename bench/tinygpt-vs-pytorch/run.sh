#!/usr/bin/env bash
# The tiny GPT of templates/tinygpt, trained side by side in C# (AutoResearch.Nn) and PyTorch on this
# machine for the same time budget, one after the other, in each vector tier the CPU has. Per tier: tokens/s,
# val_bpb, the C# per-op breakdown, and the GEMMs of the linear layers against the tier's FMA peak measured
# here (kernels/); then one table of every tier. The last line is `ratio: X` for the last tier run.
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
#        ISA (a space-separated list of tiers; default every tier this CPU has)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SECONDS_BUDGET="${1:-60}"
THREADS="${THREADS:-2}"
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
echo "| tier | C# tokens/s | PyTorch tokens/s | **ratio** | ratio at the median step | GEMM GFLOP/s | FMA peak GFLOP/s | GEMM % of peak | C# val_bpb | PyTorch val_bpb | other load C# / PyTorch |" > "$SUMMARY"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" >> "$SUMMARY"

for tier in $ISA; do
  echo
  echo "=== tier $tier: C# $(cs_env $tier | sed 's/X_TIER=avx512/(all instruction sets)/'); PyTorch $(py_env $tier | sed 's/X_TIER=avx512/(all instruction sets)/')"
  wait_quiet > /dev/null
  env $(cs_env $tier) "$WORK/kernels/KernelBench" "$THREADS" 0.5 > "$WORK/gemm-$tier.log" 2>&1 || { cat "$WORK/gemm-$tier.log"; exit 1; }
  sed -n '/^tier:/p; /^peak/p; /^| product/,/^| \*\*all/p' "$WORK/gemm-$tier.log"
  GEMM=$(sed -n 's/^gemm: \([0-9.]*\) GFLOP\/s, \([0-9]*\)% of the measured peak \([0-9.]*\)/\1 \2 \3/p' "$WORK/gemm-$tier.log")
  read -r GEMM_GF GEMM_PCT PEAK_GF <<< "$GEMM"

  CS_BUSY=$(wait_quiet)
  echo "running C# (templates/tinygpt/train.cs) for $SECONDS_BUDGET s on $THREADS threads (machine $CS_BUSY% busy before)..."
  cs_run() { cd "$WORK/ws" && env $(cs_env $tier) AUTORESEARCH_DATA="$DATA" AUTORESEARCH_TIME_BUDGET="$SECONDS_BUDGET" AUTORESEARCH_THREADS="$THREADS" AUTORESEARCH_PROFILE=1 dotnet run --no-build train.cs; }
  run_measured "$WORK/cs-$tier.log" cs_run; CS_OTHERS=$OTHERS
  grep -q '^val_bpb:' "$WORK/cs-$tier.log" || { cat "$WORK/cs-$tier.log"; exit 1; }
  PY_BUSY=$(wait_quiet)
  echo "running PyTorch (train_torch.py, OpenBLAS/OpenMP) for $SECONDS_BUDGET s on $THREADS threads (machine $PY_BUSY% busy before)..."
  py_run() { env $(py_env $tier) LD_LIBRARY_PATH="$OPENBLAS" AUTORESEARCH_THREADS="$THREADS" $PY -W ignore "$HERE/train_torch.py" "$DATA" "$SECONDS_BUDGET"; }
  run_measured "$WORK/py-$tier.log" py_run; PY_OTHERS=$OTHERS
  grep -q '^val_bpb:' "$WORK/py-$tier.log" || { cat "$WORK/py-$tier.log"; exit 1; }

  CS_TPS=$(get tokens_per_sec "$WORK/cs-$tier.log"); PY_TPS=$(get tokens_per_sec "$WORK/py-$tier.log")
  CS_BPB=$(get val_bpb "$WORK/cs-$tier.log"); PY_BPB=$(get val_bpb "$WORK/py-$tier.log")
  CS_STEPS=$(get num_steps "$WORK/cs-$tier.log"); PY_STEPS=$(get num_steps "$WORK/py-$tier.log")
  CS_MED=$(median_tps "$WORK/cs-$tier.log"); PY_MED=$(median_tps "$WORK/py-$tier.log")
  echo
  echo "| trainer | tokens/s | steps | val_bpb | other load before / during |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  echo "| C# AutoResearch.Nn | $CS_TPS | $CS_STEPS | $CS_BPB | $CS_BUSY% / $CS_OTHERS% |"
  echo "| PyTorch $($PY -c 'import torch; print(torch.__version__)') + OpenBLAS | $PY_TPS | $PY_STEPS | $PY_BPB | $PY_BUSY% / $PY_OTHERS% |"
  echo
  echo "C# time per training step by op (ms, steady state):"
  sed -n 's/^profile: //p' "$WORK/cs-$tier.log"
  RATIO=$(awk -v c="$CS_TPS" -v p="$PY_TPS" 'BEGIN { printf "%.2f", c / p }')
  MRATIO=$(awk -v c="$CS_MED" -v p="$PY_MED" 'BEGIN { printf "%.2f", c / p }')
  echo "tokens/s at the median step (robust to other processes): C# $CS_MED, PyTorch $PY_MED, ratio $MRATIO"
  echo "ratio ($tier): $RATIO"
  echo "| $tier | $CS_TPS | $PY_TPS | **$RATIO** | $MRATIO | $GEMM_GF | $PEAK_GF | $GEMM_PCT% | $CS_BPB | $PY_BPB | $CS_OTHERS% / $PY_OTHERS% |" >> "$SUMMARY"
done

echo
echo "(other load: the share of both cores used by other processes during each run; a fair comparison needs both near 0%)"
cat "$SUMMARY"
echo "ratio: $RATIO"
