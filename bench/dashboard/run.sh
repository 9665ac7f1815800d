#!/usr/bin/env bash
# What the dashboard costs over a large ledger. Usage: bench/dashboard/run.sh [EXPERIMENTS]   (default 500)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "machine: $cpu, $(nproc) cores; $(date -u +%Y-%m-%d); load average $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet run --project "$here/DashboardBench.csproj" -c Release -v quiet -- "${1:-500}"
