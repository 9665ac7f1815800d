#!/usr/bin/env bash
# The one test command (README and CI): install what the tests need, start a private PostgreSQL,
# check formatting, run every test. Extra arguments go to `dotnet test` (./test.sh --filter Swarm).
set -euo pipefail
cd "$(dirname "$0")"

# 1. Debian packages. The dashboard's browser test drives Debian's Chromium (Playwright's own download cannot
# work here); the sandbox tests need bubblewrap; the swarm's storage tests need PostgreSQL's server binaries; the
# Slurm executor's tests need a real Slurm (slurmctld, slurmd, the client commands) and munge.
need=()
command -v git >/dev/null || need+=(git)
command -v setsid >/dev/null || need+=(util-linux)
command -v python3 >/dev/null || need+=(python3)
command -v bwrap >/dev/null || need+=(bubblewrap)
[ -x /usr/bin/chromium ] || need+=(chromium)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
[ -x /usr/sbin/slurmctld ] && [ -x /usr/sbin/slurmd ] && command -v sbatch >/dev/null || need+=(slurm-wlm)
[ -x /usr/sbin/munged ] || need+=(munge)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    echo "test.sh: missing ${need[*]}; install them (Debian: sudo apt-get install -y ${need[*]}) or run this as root" >&2
    exit 1
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}"
fi
command -v dotnet >/dev/null || { echo "test.sh: dotnet not found; install the .NET 10 SDK (global.json pins it)" >&2; exit 1; }

# What the services below leave is stopped and deleted on exit, each by its own function.
cleanup=()
trap 'for c in "${cleanup[@]}"; do "$c"; done' EXIT
trap 'exit 130' INT TERM

# 2. A private PostgreSQL: a throwaway cluster in a temp folder on a free port, stopped and deleted on exit,
# so the tests depend on no server somebody else started. A caller's AUTORESEARCH_TEST_POSTGRES wins.
if [ -z "${AUTORESEARCH_TEST_POSTGRES:-}" ]; then
  bin=$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
  pg=$(mktemp -d "${TMPDIR:-/tmp}/autoresearch-pg.XXXXXX")
  # initdb and postgres refuse to run as root: as root the cluster belongs to the `postgres` user that the package made.
  as=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$pg"
    as=(runuser -u postgres --)
  fi
  stop_pg() {
    "${as[@]}" "$bin/pg_ctl" -D "$pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg"
  }
  cleanup+=(stop_pg)
  echo autoresearch | "${as[@]}" tee "$pg/password" >/dev/null
  "${as[@]}" "$bin/initdb" -D "$pg/data" -U autoresearch --pwfile="$pg/password" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$pg/initdb.log" 2>&1 \
    || { cat "$pg/initdb.log" >&2; exit 1; }
  # A free port: bind port 0, read what the kernel chose; another process may take it first, so try a few.
  for attempt in 1 2 3 4 5; do
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # Durability is not under test here: fsync off makes each test's CREATE DATABASE cheap.
    if "${as[@]}" "$bin/pg_ctl" -D "$pg/data" -l "$pg/server.log" -w -t 60 start \
      -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pg -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null; then
      break
    fi
    [ "$attempt" -lt 5 ] || { cat "$pg/server.log" >&2; exit 1; }
  done
  "${as[@]}" "$bin/createdb" -h "$pg" -p "$port" -U autoresearch autoresearch
  export AUTORESEARCH_TEST_POSTGRES="postgres://autoresearch:autoresearch@127.0.0.1:$port/autoresearch"
  echo "test.sh: private PostgreSQL $(basename "$(dirname "$bin")") on 127.0.0.1:$port in $pg"
fi

# 3. A private single-node Slurm for the executor's tests: its own munged (with a fresh key), slurmctld and slurmd,
# config, state and ports in a temp folder, so nothing is shared with a cluster this machine may belong to; stopped
# and deleted on exit. A caller's SLURM_CONF wins (a cluster to test against); without root, the tests say they skip.
if [ -z "${SLURM_CONF:-}" ] && [ "$(id -u)" -eq 0 ]; then
  sl=$(scripts/private-slurm.sh start)
  stop_slurm() { scripts/private-slurm.sh stop "$sl"; }
  cleanup+=(stop_slurm)
  export SLURM_CONF="$sl/slurm.conf"
  echo "test.sh: private Slurm $(sinfo --version | cut -d' ' -f2) in $sl"
fi

# 4. Formatting, then every test.
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet format --verify-no-changes AutoResearch.slnx
dotnet test AutoResearch.slnx "$@"

# 5. The kernels again in the narrower vector tiers, through the runtime's own switches: the 256-bit paths where
# AVX-512 ran above, and the 128-bit paths (SSE here, NEON's width) everywhere. Seconds each; skipped when the
# caller picks tests with arguments.
if [ $# -eq 0 ]; then
  for tier in DOTNET_EnableAVX512=0 DOTNET_EnableAVX2=0; do
    echo "test.sh: AutoResearch.Nn.Tests again with $tier"
    env "$tier" dotnet test tests/AutoResearch.Nn.Tests --no-build
  done
fi
