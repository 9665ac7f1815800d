#!/usr/bin/env bash
# The cost of trusted scoring (and of the sandbox) on real tinygpt runs of the template.
# Usage: bench/trusted-scoring/run.sh [SECONDS] [CONFIGS]   (default 60 s; configs self:none,trusted:none,trusted:bwrap)
# Env:   DATA (default ../shared/data/tinyshakespeare/input.txt from the repository root)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${DATA:-$root/../shared/data/tinyshakespeare/input.txt}"
[[ -f "$data" ]] || { echo "error: no data at $data; set DATA=PATH to tiny shakespeare" >&2; exit 2; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "machine: $cpu, $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet run --project "$here/TrustedScoringBench.csproj" -c Release -v quiet -- "$data" "${1:-60}" "${2:-self:none,trusted:none,trusted:bwrap}"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
