#!/usr/bin/env bash
# The swarm on the real workload: `autoresearch coordinator` and WORKERS `autoresearch worker` processes on this machine,
# on the tinygpt template with a token budget, each worker with the default search proposer and every swarm run in
# bubblewrap; each claim verified by a worker other than its claimer ([swarm] verifiers = 1: two workers have one other).
# The project states no σ: the swarm measures it first (the base at 5 seeds, each run by both workers).
# Afterwards the base and the chain's head are each trained and scored at three fresh seeds by the local loop (its
# baseline: --max-experiments 0, baseline_repeats = 3) to compare them against the run-to-run noise.
# Usage: bench/swarm-real/run.sh [MINUTES] [TOKENS] [WORKERS]   (default 30 minutes, 300,000 tokens, 2 workers)
# Needs the tinyshakespeare corpus: AUTORESEARCH_DATA, else ../shared/data/tinyshakespeare/input.txt beside the repository.
set -euo pipefail
MINUTES=${1:-30}
TOKENS=${2:-300000}
WORKERS=${3:-2}
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export AUTORESEARCH_DATA=${AUTORESEARCH_DATA:-$repo/../shared/data/tinyshakespeare/input.txt}
[ -f "$AUTORESEARCH_DATA" ] || { echo "no corpus at $AUTORESEARCH_DATA: set AUTORESEARCH_DATA" >&2; exit 2; }
work="$(mktemp -d /tmp/swarm-real.XXXXXX)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

dotnet build "$repo/src/AutoResearch.Cli" -c Release -o "$work/tool" -v quiet -nologo >/dev/null
ar() { dotnet "$work/tool/autoresearch.dll" "$@"; }
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD), work folder $work"
echo "swarm: $WORKERS workers, $MINUTES minutes, token budget $TOKENS, verifiers 1, search proposer, bubblewrap"

ar init "$work/proj" --template tinygpt >/dev/null
cat >> "$work/proj/autoresearch.toml" <<TOML

[swarm]
verifiers = 1
token_budget = $TOKENS
TOML
git -C "$work/proj" add -A
git -C "$work/proj" -c user.name=bench -c user.email=bench@localhost commit -qm "swarm settings"

ar coordinator --project "$work/proj" --port "$port" > "$work/coordinator.log" 2>&1 &
pids+=($!)
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 1; done
for i in $(seq "$WORKERS"); do
  git clone -q "$work/proj" "$work/worker-$i"
  (cd "$work/worker-$i" && exec dotnet "$work/tool/autoresearch.dll" worker --coordinator "http://127.0.0.1:$port" --owner "owner-$i" \
    --key "$work/worker-$i.key") > "$work/worker-$i.log" 2>&1 &
  pids+=($!)
done

end=$((SECONDS + MINUTES * 60))
while [ $SECONDS -lt $end ]; do
  sleep 60
  echo "  $(date -u +%H:%M) chain $(curl -sf "http://127.0.0.1:$port/v1/head" | python3 -c 'import json,sys; h=json.load(sys.stdin); print(h["sequence"], h.get("metric"))')"
done

curl -sf "http://127.0.0.1:$port/v1/project" > "$work/project.json"
echo "noise σ the swarm measured on the base (5 seeds, two owners each): $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("sigma"))' "$work/project.json")"
curl -sf "http://127.0.0.1:$port/v1/chain?after=0&limit=500" > "$work/chain.json"
curl -sf "http://127.0.0.1:$port/v1/leaderboard" > "$work/leaderboard.json"
curl -sf "http://127.0.0.1:$port/v1/experiments?after=0&limit=500" > "$work/experiments.json"
cleanup
pids=()

python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
chain = json.load(open(f"{work}/chain.json"))
board = json.load(open(f"{work}/leaderboard.json"))
log = json.load(open(f"{work}/experiments.json"))
print("\nchain:")
print("| link | val_bpb (verified) | verified gain | verifications | claimer | description |")
print("|---:|---:|---:|---:|---|---|")
for l in chain:
    print(f"| {l['sequence']} | {l['metric']:.6f} | {l['improvement']:+.6f} | {l.get('verifications')} | {l['worker'][:8]} | {l['description'][:90]} |")
print("\nleaderboard:")
print("| worker | accepted | rejected | verifications | improvement credit | verification credit | caught |")
print("|---|---:|---:|---:|---:|---:|---:|")
for e in board:
    print(f"| {e['worker'][:8]} | {e['accepted']} | {e['rejected']} | {e['verifications']} | {e['improvement_credit']:.6f} | {e['verification_credit']:.0f} | {e['caught']} |")
statuses = {}
for e in log:
    statuses[e["status"]] = statuses.get(e["status"], 0) + 1
print("\nshared log:", len(log), "experiments;", ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
PY
for i in $(seq "$WORKERS"); do echo "worker-$i: $(tail -n 1 "$work/worker-$i.log")"; done
python3 - "$work" <<'PY'
import glob, os, sys
work = sys.argv[1]
verify = explore = measure = 0
for folder in glob.glob(f"{work}/worker-*/.autoresearch/swarm/slot*/*/"):
    runs = len(glob.glob(f"{folder}/*/run.log"))
    # A verification's folder has the claim's candidate run, a noise run's the head's; an exploration's has run0, run1, ...
    if os.path.isdir(f"{folder}/candidate"):
        verify += runs
    elif os.path.isdir(f"{folder}/head"):
        measure += runs
    else:
        explore += runs
total = verify + explore + measure
print(f"runs: {explore} exploring, {verify} verifying, {measure} measuring the noise; verification share {100 * (verify + measure) / total:.1f}% ({100 * verify / total:.1f}% without the noise runs)" if total else "no runs found")
PY

# The base and the head, each trained and scored at three fresh seeds by the local loop's baseline.
export AUTORESEARCH_TOKEN_BUDGET=$TOKENS
for which in base head; do
  git clone -q "$work/proj" "$work/measure-$which"
  if [ "$which" = head ]; then
    python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
for link in json.load(open(f"{work}/chain.json")):
    with open(f"{work}/{link['sequence']:04d}.patch", "w") as f:
        f.write(link["patch"] if link["patch"].endswith("\n") else link["patch"] + "\n")
PY
    for p in "$work"/*.patch; do [ -e "$p" ] && git -C "$work/measure-head" apply --unidiff-zero --whitespace=nowarn "$p"; done
    git -C "$work/measure-head" -c user.name=bench -c user.email=bench@localhost commit -qam "the chain's head" || true
  fi
  ar run "$work/measure-$which" --max-experiments 0 --plain --no-plot > "$work/measure-$which.log" 2>&1 || true
  echo "$which at three seeds:"; ar log "$work/measure-$which" 2>&1 | head -20
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "work folder kept: $work"
trap - EXIT
