#!/usr/bin/env bash
# The harness's own cost per experiment, side by side with a minimal bash loop doing the same work:
# the same no-op agent edits a file, git commit, run the no-op experiment, grep the metric, keep or reset.
# Usage: bench/loop-overhead/run.sh [EXPERIMENTS]   (default 60; prints a markdown table, last line `ratio: X`)
set -euo pipefail
N=${1:-60}
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d /tmp/loop-overhead.XXXXXX)"
trap 'rm -rf "$work"' EXIT

dotnet build "$repo/src/AutoResearch.Cli" -c Release -o "$work/tool" -v quiet -nologo >/dev/null
tool="dotnet $work/tool/autoresearch.dll"

# The no-op agent: sets X to a random value (so about half the experiments are kept) and says so.
cat > "$work/agent.sh" <<'AGENT'
#!/usr/bin/env bash
x=$RANDOM
sed -i "s/^X=.*/X=$x/" knobs.sh
echo "X=$x"
AGENT
chmod +x "$work/agent.sh"

make_workspace() {
  mkdir -p "$1" && cd "$1"
  git init -q
  printf '[objective]\nmetric = "score"\ndirection = "minimize"\n[run]\ncommand = "bash experiment.sh"\ntimeout_seconds = 30\n[scope]\neditable = ["knobs.sh"]\n' > autoresearch.toml
  printf 'source ./knobs.sh\necho "score: $X"\n' > experiment.sh
  printf 'X=40000\n' > knobs.sh
  git add -A && git -c user.name=b -c user.email=b@b commit -q -m init
  cd - >/dev/null
}

# --- the bash loop -----------------------------------------------------------------------------------
make_workspace "$work/bash"
cd "$work/bash"
git checkout -q -b bench
best=40000
: > "$work/bash-times"
for i in $(seq 1 "$N"); do
  t0=$(date +%s%N)
  "$work/agent.sh" > /dev/null
  git add -A
  git -c user.name=b -c user.email=b@b commit -q -m "experiment $i"
  bash experiment.sh > run.log 2>&1
  score=$(grep -oP '^score:\s*\K[0-9.]+' run.log | tail -1)
  if [ "$score" -lt "$best" ]; then best=$score; else git reset -q --hard HEAD~1; fi
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000 )) >> "$work/bash-times"
done
rm -f run.log
cd - >/dev/null

# --- the harness ---------------------------------------------------------------------------------------
make_workspace "$work/harness"
$tool run "$work/harness" --agent cli --agent-command "$work/agent.sh" --max-experiments "$N" --tag bench --plain > "$work/harness.log"

/usr/bin/python3 - "$work" "$N" <<'PY'
import sqlite3, statistics, sys, datetime, platform, subprocess
work, n = sys.argv[1], int(sys.argv[2])
bash = [int(l) / 1000 for l in open(f"{work}/bash-times")]
db = sqlite3.connect(f"{work}/harness/.autoresearch/ledger.db")
rows = db.execute("select started_at, finished_at, propose_seconds, run_seconds, status from experiments where seq > 0 order by seq").fetchall()
parse = lambda s: datetime.datetime.fromisoformat(s)
harness = [(parse(f) - parse(s)).total_seconds() * 1000 for s, f, *_ in rows]
inner = [((p or 0) + (r or 0)) * 1000 for _, _, p, r, _ in rows]
own = [h - i for h, i in zip(harness, inner)]
kept = sum(1 for *_, st in rows if st == "keep")
def q(xs, p): return sorted(xs)[min(len(xs) - 1, int(p * len(xs)))]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
print(f"machine: {cpu}, {subprocess.check_output(['nproc']).decode().strip()} cores; git {subprocess.check_output(['git', '--version']).decode().split()[-1]}")
print(f"experiments: {n} each ({kept} kept by the harness)\n")
print("| loop | median ms / experiment | p10 | p90 |")
print("|---|---|---|---|")
print(f"| bash (agent, git commit, run, grep, reset) | {statistics.median(bash):.1f} | {q(bash, .1):.1f} | {q(bash, .9):.1f} |")
print(f"| autoresearch run (whole experiment) | {statistics.median(harness):.1f} | {q(harness, .1):.1f} | {q(harness, .9):.1f} |")
print(f"| autoresearch's own share (minus agent and run) | {statistics.median(own):.1f} | {q(own, .1):.1f} | {q(own, .9):.1f} |")
print()
print(f"ratio: {statistics.median(harness) / statistics.median(bash):.2f}")
PY
