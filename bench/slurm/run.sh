#!/usr/bin/env bash
# What a Slurm slot costs against a local one (issue: experiments as Slurm jobs). On a toy workspace whose experiment
# only prints its score, the same N proposals run with [run] executor = "local" and "slurm"; the difference per
# experiment, less the scheduler's own latency (an empty job from sbatch to its end, measured on its own), is what the
# executor adds. Then --parallel 2 with a 2 s experiment, locally and as jobs: experiments per minute.
# Usage: bench/slurm/run.sh [N] [WORKDIR]   (root; starts a private Slurm unless SLURM_CONF names one)
set -euo pipefail
n=${1:-20}
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="${2:-$(mktemp -d /tmp/bench-slurm.XXXXXX)}"
mkdir -p "$work"
if [ -z "${SLURM_CONF:-}" ]; then
  sl=$("$repo/scripts/private-slurm.sh" start)
  trap '"$repo/scripts/private-slurm.sh" stop "$sl"' EXIT
  export SLURM_CONF="$sl/slurm.conf"
fi

dotnet build "$repo/src/AutoResearch.Cli" -c Release -o "$work/tool" -v quiet -nologo >/dev/null
ar() { dotnet "$work/tool/autoresearch.dll" "$@"; }
calc() { awk "BEGIN { printf \"%.3f\", $* }"; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD), $(sinfo --version)"

# A workspace at $1 whose experiment sleeps $2 s and prints score X; the agent sets X to the experiment's id.
toy() {
  local dir=$1 sleep=$2 executor=$3
  rm -rf "$dir"; mkdir -p "$dir"
  printf 'X=100\n' > "$dir/knobs.sh"
  printf 'source ./knobs.sh\nsleep %s\necho "score: $X"\n' "$sleep" > "$dir/experiment.sh"
  cat > "$dir/autoresearch.toml" <<TOML
[objective]
metric = "score"
direction = "minimize"

[run]
command = "bash experiment.sh"
timeout_seconds = 60
executor = "$executor"

[scope]
editable = ["knobs.sh"]

[slurm]
shared_dir = "$work"
cpus = 1
TOML
  git -C "$dir" init -q && git -C "$dir" add -A && git -C "$dir" -c user.name=b -c user.email=b@b commit -qm toy
}
agent='sed -i "s/^X=.*/X=$((100 - AUTORESEARCH_EXPERIMENT))/" knobs.sh; echo "X to $((100 - AUTORESEARCH_EXPERIMENT))"'
timed() {  # timed DIR ARGS...: seconds for `autoresearch run DIR ARGS`
  local dir=$1; shift
  local t0; t0=$(date +%s.%N)
  ar run "$dir" --agent cli --agent-command "$agent" --tag b --plain --no-plot "$@" > "$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
  calc "$(date +%s.%N) - $t0"
}

# The scheduler's own latency: an empty job from sbatch to the end of its state, polled every 20 ms.
latency=0
for i in $(seq 10); do
  t0=$(date +%s.%N)
  id=$(sbatch --parsable --output=/dev/null --wrap true)
  until scontrol show job --oneliner "$id" | grep -q 'JobState=COMPLETED'; do sleep 0.02; done
  latency=$(calc "$latency + $(date +%s.%N) - $t0")
done
latency=$(calc "$latency / 10")

toy "$work/local" 0 local; local_s=$(timed "$work/local" --max-experiments "$n")
toy "$work/slurm" 0 slurm; slurm_s=$(timed "$work/slurm" --max-experiments "$n")
toy "$work/local2" 2 local; local2_s=$(timed "$work/local2" --max-experiments "$n" --parallel 2)
toy "$work/slurm2" 2 slurm; slurm2_s=$(timed "$work/slurm2" --max-experiments "$n" --parallel 2)

# Runs, not experiments: a win is run again to confirm it, and each run of the Slurm workspace is one job.
runs() { find "$1/.autoresearch/runs" -name 'run*.log' | wc -l; }
jobs() { find "$1/.autoresearch/runs" -name '*.sbatch' | wc -l; }
local_runs=$(runs "$work/local"); slurm_jobs=$(jobs "$work/slurm")
added=$(calc "$slurm_s / $slurm_jobs - $local_s / $local_runs - $latency")
echo
echo "| $n proposals + baseline, the experiment prints its score | wall (s) | runs | per run (s) |"
echo "|---|---:|---:|---:|"
echo "| local | $local_s | $local_runs | $(calc "$local_s / $local_runs") |"
echo "| slurm | $slurm_s | $slurm_jobs jobs | $(calc "$slurm_s / $slurm_jobs") |"
echo "| Slurm's own latency: an empty job, sbatch to COMPLETED (mean of 10, 20 ms poll) | | | $latency |"
echo "| **added by the executor per run** (slurm - local - Slurm's latency) | | | **$added** |"
echo
echo "| --parallel 2, the experiment sleeps 2 s | wall (s) | runs | experiments per minute |"
echo "|---|---:|---:|---:|"
echo "| local | $local2_s | $(runs "$work/local2") | $(calc "60 * ($n + 1) / $local2_s") |"
echo "| slurm | $slurm2_s | $(jobs "$work/slurm2") jobs | $(calc "60 * ($n + 1) / $slurm2_s") |"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
