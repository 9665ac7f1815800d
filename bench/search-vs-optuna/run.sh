#!/usr/bin/env bash
# The search proposer's optimizer against Optuna 3.1 (default TPE, multivariate TPE, random) on the whole suite:
# 29 problems x 30 seeds x 100 evaluations. Traces go to $TRACES (default /tmp); the tables go to stdout, and the
# last line is `rank_vs_tpe: <ours> vs <tpe>` at 50 evaluations. Re-analyse saved traces with `--analyze FILE`.
# Usage: bench/search-vs-optuna/run.sh [extra arguments, e.g. --seeds 3 --problems branin]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
traces="${TRACES:-/tmp/search-vs-optuna-traces.csv}"
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "machine: $cpu, $(nproc) cores; $(date -u '+%Y-%m-%d %H:%M UTC'); optuna $(/usr/bin/python3 -c 'import optuna; print(optuna.__version__)')"
dotnet build "$here/SearchVsOptuna.csproj" -c Release -v quiet -nologo >/dev/null
dotnet "$here/bin/Release/net10.0/SearchVsOptuna.dll" --traces "$traces" "$@"
