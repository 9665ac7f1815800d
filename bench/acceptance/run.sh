#!/usr/bin/env bash
# The noise-aware acceptance rule against the naive "keep if lower" on a synthetic landscape with known truth.
# Usage: bench/acceptance/run.sh [TRIALS]   (default 1000 landscapes x 200 proposals; prints a markdown table)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "machine: $cpu, $(nproc) cores; $(date -u +%Y-%m-%d)"
dotnet run --project "$here/AcceptanceBench.csproj" -c Release -v quiet -- "${1:-1000}"
