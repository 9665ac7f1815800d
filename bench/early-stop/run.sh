#!/usr/bin/env bash
# Replays early stopping offline on the curves of a run made with early stopping off.
# Usage: bench/early-stop/run.sh WORKSPACE TAG   (writes curves.json here and prints the table)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ws="$1"; tag="$2"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "machine: $cpu, $(nproc) cores; $(date -u +%Y-%m-%d); workspace $ws, run $tag"
dotnet run --project "$here/EarlyStopReplay.csproj" -c Release -v quiet -- "$ws/.autoresearch/ledger.db" "$tag" "$here/curves.json"
