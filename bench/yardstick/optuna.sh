#!/usr/bin/env bash
# The same-trainer anchor for the yardstick: Optuna 3.1's TPE (Debian's python3-optuna) and a for loop tuning the
# tinygpt template's train.cs over the same knobs and choices the search proposer sees, for the same wall-clock time,
# one `dotnet run train.cs` per trial; then its best train.cs trained again at the three fresh seeds run.sh uses.
# Run it right after run.sh on the same machine, nothing else running.
# Usage: bench/yardstick/optuna.sh [HOURS] [WORKDIR]   (needs: apt-get install python3-optuna)
set -euo pipefail
hours=${1:-1}
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${2:-$(mktemp -d /tmp/yardstick-optuna.XXXXXX)}"
export AUTORESEARCH_DATA="${AUTORESEARCH_DATA:-$repo/../shared/data/tinyshakespeare/input.txt}"
/usr/bin/python3 -c 'import optuna' 2>/dev/null || { echo "needs Optuna for /usr/bin/python3: apt-get install python3-optuna" >&2; exit 2; }

dotnet build "$repo/src/AutoResearch.Cli" -c Release -o "$work/tool" -v quiet -nologo >/dev/null
dotnet build "$repo/bench/search-vs-optuna/SearchVsOptuna.csproj" -c Release -o "$work/optuna" -v quiet -nologo >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD), optuna $(/usr/bin/python3 -c 'import optuna; print(optuna.__version__)')"
dotnet "$work/tool/autoresearch.dll" init "$work/demo" --template tinygpt >/dev/null
(cd "$work/demo" && dotnet run train.cs -- --download-data >/dev/null)
dotnet "$work/optuna/SearchVsOptuna.dll" --tinygpt "$work/demo" --hours "$hours" | tee "$work/optuna.log"

cp "$work/best/train.cs" "$work/demo/train.cs"
for seed in 1001 1002 1003; do
  v=$(cd "$work/demo" && AUTORESEARCH_SEED=$seed dotnet run train.cs 2>/dev/null | sed -n 's/^val_bpb: *//p')
  echo "optuna best seed $seed: val_bpb $v"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
