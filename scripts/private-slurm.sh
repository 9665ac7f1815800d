#!/usr/bin/env bash
# A private Slurm on this machine, for tests and benchmarks: its own munged (with a fresh key), slurmctld and two
# slurmd (node HOST in the default partition, node HOST-fail alone in partition "fail"), with config, state, logs and
# ports in one temp folder, so nothing is shared with a cluster this machine may
# belong to. Needs root and Debian's slurm-wlm and munge.
#   scripts/private-slurm.sh start        prints the folder; its slurm.conf is what SLURM_CONF must name
#   scripts/private-slurm.sh stop DIR     cancels its jobs, stops its daemons, deletes DIR
set -euo pipefail

start() {
  local sl host port1 port2 port3 memory
  sl=$(mktemp -d "${TMPDIR:-/tmp}/autoresearch-slurm.XXXXXX")
  chmod 755 "$sl"
  host=$(hostname -s)
  mkdir -p "$sl/munge" "$sl/state" "$sl/spool-$host" "$sl/spool-$host-fail"
  dd if=/dev/urandom of="$sl/munge/munge.key" bs=1024 count=1 status=none
  chown -R munge: "$sl/munge"
  # munged wants its socket's folder searchable by all and its key readable by it alone.
  chmod 711 "$sl/munge"
  chmod 400 "$sl/munge/munge.key"
  runuser -u munge -- /usr/sbin/munged --socket="$sl/munge/munge.socket" --key-file="$sl/munge/munge.key" \
    --pid-file="$sl/munge/munged.pid" --log-file="$sl/munge/munged.log" --seed-file="$sl/munge/munged.seed"
  free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
  port1=$(free_port)
  port2=$(free_port)
  port3=$(free_port)
  memory=$(( $(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024 ))
  # Eight CPUs whatever the machine has (config_overrides): two slots' jobs always fit side by side, even on one core.
  cat > "$sl/slurm.conf" <<CONF
ClusterName=autoresearch-private
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmctldPort=$port1
SlurmdPort=$port2
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sl/munge/munge.socket
StateSaveLocation=$sl/state
SlurmdSpoolDir=$sl/spool-%n
SlurmctldPidFile=$sl/slurmctld.pid
SlurmdPidFile=$sl/slurmd-%n.pid
SlurmctldLogFile=$sl/slurmctld.log
SlurmdLogFile=$sl/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
KillWait=5
NodeName=$host NodeAddr=127.0.0.1 CPUs=8 RealMemory=$memory State=UNKNOWN
NodeName=$host-fail NodeHostname=$host NodeAddr=127.0.0.1 Port=$port3 CPUs=8 RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
PartitionName=fail Nodes=$host-fail Default=NO MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  export SLURM_CONF="$sl/slurm.conf"
  /usr/sbin/slurmctld -i
  /usr/sbin/slurmd
  # A second node on the same host, alone in partition "fail": tests take it down to fail a job the cluster's way
  # (NODE_FAIL) without touching the jobs of the default partition.
  /usr/sbin/slurmd -N "$host-fail"
  for _ in $(seq 150); do [ "$(sinfo --Node --noheader --states=idle --format=%N 2>/dev/null | wc -l)" -ge 2 ] && break; sleep 0.2; done
  if [ "$(sinfo --Node --noheader --states=idle --format=%N 2>/dev/null | wc -l)" -lt 2 ]; then
    echo "private-slurm.sh: the private Slurm did not come up; its logs:" >&2
    tail -n 20 "$sl"/*.log >&2 || true
    stop "$sl"
    exit 1
  fi
  echo "$sl"
}

stop() {
  local sl=$1
  [ -f "$sl/slurm.conf" ] || { echo "private-slurm.sh: $sl is not a private Slurm's folder" >&2; exit 2; }
  export SLURM_CONF="$sl/slurm.conf"
  if [ -f "$sl/slurmctld.pid" ]; then
    scancel --user="$(id -un)" >/dev/null 2>&1 || true
    for _ in $(seq 50); do [ -z "$(squeue --noheader 2>/dev/null)" ] && break; sleep 0.2; done
    scontrol shutdown >/dev/null 2>&1 || true
  fi
  if [ -f "$sl/munge/munged.pid" ]; then
    kill "$(cat "$sl/munge/munged.pid")" 2>/dev/null || true
  fi
  sleep 0.5
  rm -rf "$sl"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:?usage: private-slurm.sh stop DIR}" ;;
  *) echo "usage: scripts/private-slurm.sh start | stop DIR" >&2; exit 2 ;;
esac
