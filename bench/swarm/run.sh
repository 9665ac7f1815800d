#!/usr/bin/env bash
# The swarm simulator at 1,000 workers against PostgreSQL on this machine: requests/s, p50/p99 per endpoint, adversaries.
# Usage: bench/swarm/run.sh [WORKERS] [MINUTES] [RUN_MS] [DB]
#   default 1000 workers, 3 minutes, 10,000 ms per synthetic training run,
#   postgres://autoresearch:autoresearch@127.0.0.1:5432/autoresearch (its swarm tables are dropped first; make the role with
#   su postgres -c "psql -c \"CREATE ROLE autoresearch LOGIN SUPERUSER PASSWORD 'autoresearch'\"" and su postgres -c 'createdb -O autoresearch autoresearch').
set -euo pipefail
WORKERS=${1:-1000}
MINUTES=${2:-3}
RUN_MS=${3:-10000}
DB=${4:-postgres://autoresearch:autoresearch@127.0.0.1:5432/autoresearch}
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d /tmp/swarm-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

dotnet build "$repo/src/AutoResearch.Cli" -c Release -o "$work/tool" -v quiet -nologo >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), $(psql --version 2>/dev/null || echo postgresql)"
echo "command: autoresearch swarm simulate --workers $WORKERS --adversaries all --minutes $MINUTES --run-ms $RUN_MS --db ${DB%%:*}://..."
dotnet "$work/tool/autoresearch.dll" swarm simulate --workers "$WORKERS" --adversaries all --minutes "$MINUTES" --run-ms "$RUN_MS" --db "$DB"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
