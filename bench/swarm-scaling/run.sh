#!/usr/bin/env bash
# The swarm's scaling curve: the same synthetic objective, noise and simulated time at 1 (one worker alone, the baseline),
# 4, 16, 64, 256 and 1,000 honest workers plus every adversary, each against the real coordinator on loopback (SQLite).
# Writes scaling.md (time to the lone worker's final loss, speed-up, verification share, stale exploration, fraud) and
# scaling.png here, and the full log to scaling.log.
# Usage: bench/swarm-scaling/run.sh [WORKERS] [MINUTES] [RUN_MS] [KNOBS]
#   default 1,4,16,64,256,1000 workers, 4 minutes each, 2,000 ms per synthetic training run, 64 knobs.
set -euo pipefail
WORKERS=${1:-1,4,16,64,256,1000}
MINUTES=${2:-4}
RUN_MS=${3:-2000}
KNOBS=${4:-64}
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d /tmp/swarm-scaling.XXXXXX)"
trap 'rm -rf "$work"' EXIT

dotnet build "$repo/src/AutoResearch.Cli" -c Release -o "$work/tool" -v quiet -nologo >/dev/null
{
  echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD)"
  echo "command: autoresearch swarm scaling --workers $WORKERS --knobs $KNOBS --minutes $MINUTES --run-ms $RUN_MS --adversaries all"
  dotnet "$work/tool/autoresearch.dll" swarm scaling --workers "$WORKERS" --knobs "$KNOBS" --minutes "$MINUTES" --run-ms "$RUN_MS" \
    --adversaries all --out "$here"
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$here/scaling.log"
