#!/usr/bin/env bash
# Experiments per hour with --parallel 1 and --parallel 4, on experiments that sleep a fixed time (insensitive to load).
# Two agents: "worse" always proposes a worse value (every experiment a discard: pure throughput); "random" proposes a
# random value (wins happen, and a win found on a stale parent is rebased and run again: the real cost of parallelism).
# Usage: bench/parallel/run.sh [SLEEP_SECONDS] [ROUNDS]   (default 2 s, 12 rounds: 12 experiments at -p 1, 48 at -p 4)
set -euo pipefail
SLEEP=${1:-2}
ROUNDS=${2:-12}
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d /tmp/parallel-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

dotnet build "$repo/src/AutoResearch.Cli" -c Release -o "$work/tool" -v quiet -nologo >/dev/null
tool="dotnet $work/tool/autoresearch.dll"

cat > "$work/worse.sh" <<'AGENT'
#!/usr/bin/env bash
x=$(grep -oP '^X=\K[0-9]+' knobs.sh)
sed -i "s/^X=.*/X=$((x + 1 + RANDOM % 1000))/" knobs.sh
echo "X up"
AGENT
cat > "$work/random.sh" <<'AGENT'
#!/usr/bin/env bash
x=$RANDOM
sed -i "s/^X=.*/X=$x/" knobs.sh
echo "X=$x"
AGENT
chmod +x "$work"/*.sh

make_workspace() {
  mkdir -p "$1" && cd "$1"
  git init -q
  printf '[objective]\nmetric = "score"\ndirection = "minimize"\n[run]\ncommand = "bash experiment.sh"\ntimeout_seconds = 60\n[scope]\neditable = ["knobs.sh"]\n' > autoresearch.toml
  printf 'source ./knobs.sh\nsleep %s\necho "score: $X"\n' "$SLEEP" > experiment.sh
  printf 'X=20000\n' > knobs.sh
  git add -A && git -c user.name=b -c user.email=b@b commit -q -m init
  cd - >/dev/null
}

results="$work/results"
: > "$results"
for agent in worse random; do
  for p in 1 4; do
    n=$((ROUNDS * p))
    ws="$work/$agent-$p"
    make_workspace "$ws"
    $tool run "$ws" --agent cli --agent-command "$work/$agent.sh" --max-experiments "$n" --parallel "$p" --tag bench --plain > "$ws.log"
    echo "$agent $p $ws" >> "$results"
  done
done

/usr/bin/python3 - "$results" "$SLEEP" <<'PY'
import sqlite3, sys, datetime, subprocess
rows = [l.split() for l in open(sys.argv[1])]
sleep = float(sys.argv[2])
parse = lambda s: datetime.datetime.fromisoformat(s)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"machine: {cpu}, {subprocess.check_output(['nproc']).decode().strip()} cores; {datetime.date.today()}; each run sleeps {sleep:g} s")
print()
print("| agent | --parallel | experiments | kept | rebased | wall s (proposals) | experiments / hour | runs / experiment | speed-up |")
print("|---|---|---|---|---|---|---|---|---|")
base = {}
for agent, p, ws in rows:
    db = sqlite3.connect(f"{ws}/.autoresearch/ledger.db")
    ex = db.execute("select started_at, finished_at, status, rebased_from, runs from experiments where seq > 0").fetchall()
    start = min(parse(s) for s, *_ in ex)
    end = max(parse(f) for _, f, *_ in ex)
    span = (end - start).total_seconds()
    rate = len(ex) / span * 3600
    kept = sum(1 for e in ex if e[2] == "keep")
    rebased = sum(1 for e in ex if e[3])
    runs = sum(max(1, e[4].count("Seed")) for e in ex) / len(ex)
    if p == "1":
        base[agent] = rate
    print(f"| {agent} | {p} | {len(ex)} | {kept} | {rebased} | {span:.1f} | {rate:.0f} | {runs:.2f} | {rate / base[agent]:.2f}x |")
PY
