#!/usr/bin/env bash
# What the hostile-agent hardening costs per experiment: the cli agent in bubblewrap, every phase in its own pid
# namespace, the repository guard, the ledger check after every phase and the clean checkout before every run.
# The same toy workspace (template `empty`) and the same scripted cli agent run under three configurations,
# interleaved, REPEATS times each:
#   old        the commit before the change (no sandbox exists there)
#   new-bwrap  the commit with the change, default settings (agent in bwrap)
#   new-none   the same with `[agent] sandbox = "none"` (all of the change except bubblewrap)
# Then, unless TINYGPT_REPEATS=0, the real workload: template tinygpt, default search proposer, old vs new.
#
# Usage: bench/agent-sandbox/run.sh            (prints markdown tables)
#   OLD, NEW         commits to compare (default 06a73ef, 6a3004f)
#   N                proposals per toy run (default 30; plus the baseline)
#   REPEATS          toy runs per configuration (default 5)
#   TINYGPT_REPEATS  tinygpt runs per build (default 3; about a minute each)
#   BENCH_DIR        where the scratch folder goes; NOT under /tmp (the sandbox gives the agent a private /tmp)
#   KEEP=1           keep the scratch folder (workspaces, logs, ledgers)
set -euo pipefail
OLD=${OLD:-06a73ef}
NEW=${NEW:-6a3004f}
N=${N:-30}
REPEATS=${REPEATS:-5}
TINYGPT_REPEATS=${TINYGPT_REPEATS:-3}
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
BENCH_DIR=${BENCH_DIR:-$(dirname "$repo")/bench-runs}
mkdir -p "$BENCH_DIR"
work="$(mktemp -d "$BENCH_DIR/agent-sandbox.XXXXXX")"
cleanup() {
  git -C "$repo" worktree remove --force "$work/src-old" 2>/dev/null || true
  git -C "$repo" worktree remove --force "$work/src-new" 2>/dev/null || true
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
command -v bwrap >/dev/null || { echo "bubblewrap missing: apt-get install -y bubblewrap" >&2; exit 1; }

# --- build both commits -------------------------------------------------------------------------------
for b in old new; do
  rev=$OLD; [ $b = new ] && rev=$NEW
  git -C "$repo" worktree add -q --detach "$work/src-$b" "$rev"
  echo "building $b ($rev)..." >&2
  dotnet build "$work/src-$b/src/AutoResearch.Cli" -c Release -o "$work/bin-$b" -v quiet -nologo >/dev/null
done
tool() { local b=$1; shift; dotnet "$work/bin-$b/autoresearch.dll" "$@"; }

# --- the scripted agent (outside the workspace and outside /tmp) -----------------------------------------
# X is a function of the experiment's number, so every run makes the same edits and keeps the same experiments.
mkdir -p "$work/agent"
cat > "$work/agent/AGENT.sh" <<'AGENT'
#!/usr/bin/env bash
set -euo pipefail
n=${AUTORESEARCH_EXPERIMENT:-0}
x=$(awk -v n="$n" 'BEGIN { printf "%.2f", 1 + ((n * 7) % 11) * 0.5 }')
sed -i "s/^X=.*/X=$x/" knobs.sh
echo "$n $x" >> "$(dirname "$0")/calls.log"   # written from inside the sandbox: [agent] writable
echo "set X to $x"
AGENT

# toy CONFIG NAME PROPOSALS: one toy run; appends "config name wall_ms" to $work/toy-walls
toy() {
  local config=$1 name=$2 n=$3 b=${1%%-*} ws="$work/ws/$2"
  tool "$b" init "$ws" --template empty >/dev/null
  case $config in
    new-bwrap) printf '\n[agent]\nwritable = ["%s"]\n' "$work/agent" >> "$ws/autoresearch.toml" ;;
    new-none)  printf '\n[agent]\nsandbox = "none"\nwritable = ["%s"]\n' "$work/agent" >> "$ws/autoresearch.toml" ;;
  esac
  git -C "$ws" -c user.name=bench -c user.email=bench@localhost commit -qam "bench: agent settings" >/dev/null || true
  local t0 t1
  t0=$(date +%s%N)
  tool "$b" run "$ws" --agent cli --agent-command "bash $work/agent/AGENT.sh {prompt}" \
    --max-experiments "$n" --tag b --plain > "$work/$name.log" 2>&1
  t1=$(date +%s%N)
  echo "$config $name $(( (t1 - t0) / 1000000 ))" >> "$work/toy-walls"
}

# --- toy runs: one short warm-up per configuration, then REPEATS interleaved rounds ---------------------------
configs="old new-bwrap new-none"
: > "$work/toy-walls"
if [ "$REPEATS" -gt 0 ]; then for c in $configs; do toy "$c" "warmup-$c" 3; done; fi
: > "$work/toy-walls"
for i in $(seq 1 "$REPEATS"); do
  for c in $configs; do echo "toy round $i: $c" >&2; toy "$c" "$c-$i" "$N"; done
done

# --- tinygpt: old vs new, interleaved, the order alternating (old new, new old, ...) against drifting load --------------------------------------------------------------------
: > "$work/tinygpt-walls"
if [ "$TINYGPT_REPEATS" -gt 0 ]; then
  export AUTORESEARCH_DATA=${AUTORESEARCH_DATA:-$repo/../shared/data/tinyshakespeare/input.txt}
  export AUTORESEARCH_TOKEN_BUDGET=${AUTORESEARCH_TOKEN_BUDGET:-20000}
  for i in $(seq 1 "$TINYGPT_REPEATS"); do
    order="old new"; [ $((i % 2)) = 0 ] && order="new old"
    for b in $order; do
      echo "tinygpt round $i: $b" >&2
      ws="$work/ws/tinygpt-$b-$i"
      tool "$b" init "$ws" --template tinygpt >/dev/null
      t0=$(date +%s%N)
      tool "$b" run "$ws" --max-experiments 2 --tag b --plain > "$work/tinygpt-$b-$i.log" 2>&1
      t1=$(date +%s%N)
      kept=$(sqlite3 "$ws/.autoresearch/ledger.db" "select count(*) from experiments where seq > 0 and status = 'keep'")
      span=$(sqlite3 "$ws/.autoresearch/ledger.db" "select (julianday(max(finished_at)) - julianday(min(started_at))) * 86400000 from experiments")
      echo "$b $i $(( (t1 - t0) / 1000000 )) $kept ${span%.*}" >> "$work/tinygpt-walls"
    done
  done
fi

# --- the tables ----------------------------------------------------------------------------------------
python3 - "$work" "$N" "$configs" <<'PY'
import datetime, sqlite3, statistics, sys
work, n, configs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
t = datetime.datetime.fromisoformat
runs = {c: [] for c in configs}
for line in open(f"{work}/toy-walls"):
    config, name, wall = line.split()
    db = sqlite3.connect(f"{work}/ws/{name}/.autoresearch/ledger.db")
    rows = db.execute("select seq, finished_at, propose_seconds, status from experiments order by seq").fetchall()
    assert [r[0] for r in rows] == list(range(n + 1)), f"{name}: seqs {[r[0] for r in rows]}"
    fin = [t(r[1]) for r in rows]
    delta = [(fin[k] - fin[k - 1]).total_seconds() * 1000 for k in range(1, n + 1)]
    prop = [rows[k][2] * 1000 for k in range(1, n + 1)]
    rest = [d - p for d, p in zip(delta, prop)]
    status = [r[3] for r in rows[1:]]
    # the sandbox is what the configuration says: agent.log's first line names it (bwrap only)
    first = open(f"{work}/ws/{name}/.autoresearch/runs/{n + 1}/agent.log").readline()
    assert ("sandbox: bwrap" in first) == (config == "new-bwrap"), f"{name}: agent.log starts {first!r}"
    runs[config].append(dict(
        exp=statistics.median(delta), mean=(fin[n] - fin[0]).total_seconds() * 1000 / n,
        prop=statistics.median(prop), rest=statistics.median(rest), wall=int(wall),
        kept=status.count("keep"), discarded=status.count("discard"), other=n - status.count("keep") - status.count("discard")))

if runs[configs[0]]:
    def cell(config, key):
        xs = [r[key] for r in runs[config]]
        return f"{statistics.median(xs):.0f} ({min(xs):.0f}–{max(xs):.0f})"
    med = lambda config, key: statistics.median(r[key] for r in runs[config])

    print(f"toy runs: template empty, scripted cli agent, baseline + {n} proposals, {len(runs[configs[0]])} runs per configuration, interleaved")
    print("per run: the median over its experiments; per configuration: median (min–max) of those over the runs; ms\n")
    print("| configuration | ms / experiment | propose ms | rest ms (run, commit, decide, checks) | mean ms / experiment (span / N) | process wall ms | kept / discarded / other |")
    print("|---|---|---|---|---|---|---|")
    for c in configs:
        kd = sorted({f"{r['kept']} / {r['discarded']} / {r['other']}" for r in runs[c]})
        print(f"| {c} | {cell(c, 'exp')} | {cell(c, 'prop')} | {cell(c, 'rest')} | {cell(c, 'mean')} | {cell(c, 'wall')} | {', '.join(kd)} |")
    print()
    print("| difference (of the medians) | ms / experiment | propose ms | rest ms | mean ms / experiment |")
    print("|---|---|---|---|---|")
    for a, b in [("new-bwrap", "old"), ("new-none", "old"), ("new-bwrap", "new-none")]:
        d = [med(a, k) - med(b, k) for k in ("exp", "prop", "rest", "mean")]
        print(f"| {a} − {b} | " + " | ".join(f"{x:+.0f}" for x in d) + " |")
    print(f"\noverhead per experiment (new-bwrap − old, median ms / experiment): {med('new-bwrap', 'exp') - med('old', 'exp'):+.0f} ms (goal < 300 ms)")

tg = [l.split() for l in open(f"{work}/tinygpt-walls")]
if tg:
    print("\ntinygpt: template tinygpt, search proposer, --max-experiments 2, AUTORESEARCH_TOKEN_BUDGET=20000; process wall seconds")
    print("(ledger span: the baseline's start to the last experiment's end, without process start and setup)")
    print("\n| build | process wall, median s | min–max s | ledger span, median s | min–max s | runs | kept per run |")
    print("|---|---|---|---|---|---|---|")
    col = lambda b, i: [int(r[i]) / 1000 for r in tg if r[0] == b]
    for b in ("old", "new"):
        w, sp = col(b, 2), col(b, 4)
        kept = ", ".join(r[3] for r in tg if r[0] == b)
        print(f"| {b} | {statistics.median(w):.1f} | {min(w):.1f}–{max(w):.1f} | {statistics.median(sp):.1f} | {min(sp):.1f}–{max(sp):.1f} | {len(w)} | {kept} |")
    print("\nnew / old (medians): process wall "
          f"{statistics.median(col('new', 2)) / statistics.median(col('old', 2)):.3f}, "
          f"ledger span {statistics.median(col('new', 4)) / statistics.median(col('old', 4)):.3f}")
    print("per round (old, new) process wall s: " + "; ".join(
        f"{i}: {col('old', 2)[k]:.1f}, {col('new', 2)[k]:.1f}" for k, i in enumerate(sorted({r[1] for r in tg}, key=int))))
PY
