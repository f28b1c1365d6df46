#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for trying and testing the pipeline's Slurm
# profile (profiles/slurm) without a cluster. Debian/Ubuntu, run as root, no systemd needed.
#
#   scripts/slurm_local.sh start    install (first time), configure and start; idempotent
#   scripts/slurm_local.sh status   which daemons run, the node's state; exit 0 only if all run
#   scripts/slurm_local.sh stop     cancel this cluster's jobs, stop every daemon it started
#   scripts/slurm_local.sh env      print `export SLURM_CONF=...` (this cluster's slurm.conf)
#
# The cluster: munged, MariaDB + slurmdbd (accounting: the Snakemake plugin asks sacct for job
# states), slurmctld and slurmd on 127.0.0.1; select/cons_tres, proctrack/linuxproc, task/none
# (no cgroups); one fake GPU (gres gpu:fake:1, File=/dev/null) so that jobs asking for a GPU
# are scheduled and accounted as on a GPU node -- there is no device behind it.
#
# Everything it writes (configs, keys, pid files, spool, logs, the database) lives under
# $IAM_REPRO_SLURM_DIR (default /tmp/iam-repro-slurm); `stop` stops the daemons by the PIDs
# they recorded there, never by name. While it runs, /etc/slurm/slurm.conf links to its
# slurm.conf (see system_conf below), so sinfo, sbatch -o out.log --wrap hostname, sacct work.
# Ports: slurmctld 6817, slurmd 6818, slurmdbd 6819, MariaDB $IAM_REPRO_SLURM_DB_PORT (3307).
set -euo pipefail

dir=${IAM_REPRO_SLURM_DIR:-/tmp/iam-repro-slurm}
db_port=${IAM_REPRO_SLURM_DB_PORT:-3307}
cluster=iamrepro
packages=(slurmctld slurmd slurm-client munge slurmdbd mariadb-server)
# name pid-file process-name (/proc/PID/comm), in start order
daemons=(
  "munged $dir/munge/munged.pid munged"
  "mariadb $dir/mysql/mariadbd.pid mariadbd"
  "slurmdbd $dir/run/slurmdbd.pid slurmdbd"
  "slurmctld $dir/run/slurmctld.pid slurmctld"
  "slurmd $dir/run/slurmd.pid slurmd"
)
export SLURM_CONF=$dir/etc/slurm.conf
# Where every Slurm command looks when SLURM_CONF is unset. Jobs need it: the Snakemake
# jobstep plugin (0.6.1) runs each job's `srun` with all SLURM_* variables removed, SLURM_CONF
# included, so `start` links it to this cluster's slurm.conf (only if the path is free).
system_conf=/etc/slurm/slurm.conf

say() { echo "slurm_local.sh: $*" >&2; }
die() { say "$*"; exit 1; }

usage() {
  echo "usage: scripts/slurm_local.sh start|stop|status|env   (state in \$IAM_REPRO_SLURM_DIR=$dir)" >&2
  exit 2
}

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (it installs Debian packages and starts system daemons); try: sudo $0 $*"
}

# The PID recorded in a pid file if that process is alive and is the daemon we started.
live_pid() {
  local pidfile=$1 comm=$2 pid
  [ -s "$pidfile" ] || return 1
  pid=$(tr -dc '0-9' <"$pidfile")
  [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$comm" ] || return 1
  echo "$pid"
}

# wait_for SECONDS WHAT LOG COMMAND...: poll COMMAND twice a second; on time-out show LOG's tail.
wait_for() {
  local seconds=$1 what=$2 log=$3
  shift 3
  local i
  for ((i = 0; i < seconds * 2; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.5
  done
  say "timed out after ${seconds}s waiting for $what; last lines of $log:"
  tail -n 30 "$log" >&2 2>/dev/null || true
  exit 1
}

install_packages() {
  local missing=()
  for cmd in slurmctld slurmd sbatch sacct munged slurmdbd mariadbd mariadb-install-db; do
    command -v "$cmd" >/dev/null || missing+=("$cmd")
  done
  [ ${#missing[@]} = 0 ] && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install ${packages[*]}"
  say "installing ${packages[*]} (missing: ${missing[*]})"
  # Keep the packages' init scripts from starting system-wide daemons we would not own.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  local rc=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends "${packages[@]}" >/dev/null; } || rc=$?
  [ "$own_policy" = 1 ] && rm -f "$policy"
  [ "$rc" = 0 ] || die "apt-get install ${packages[*]} failed (exit $rc)"
}

write_configs() {
  local host node_line db_pass
  host=$(hostname -s)
  # The node as slurmd sees it (CPUs, sockets, cores, threads, RealMemory).
  node_line=$(slurmd -C | head -n 1)
  [[ $node_line == NodeName=* ]] || die "unexpected output of 'slurmd -C': $node_line"
  mkdir -p "$dir"/{etc,run,log,spool/slurmctld,spool/slurmd}
  chmod 755 "$dir"
  [ -s "$dir/etc/db.password" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$dir/etc/db.password")
  db_pass=$(cat "$dir/etc/db.password")
  cat >"$dir/etc/slurm.conf" <<EOF
# Written by scripts/slurm_local.sh: a single-node test cluster (state in $dir).
ClusterName=$cluster
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
StateSaveLocation=$dir/spool/slurmctld
SlurmdSpoolDir=$dir/spool/slurmd
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
# No systemd and no cgroups: track processes by their parent, bind no CPUs.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# A job that names no memory gets 1 GB per CPU, not the whole node.
DefMemPerCPU=1000
ReturnToService=2
# Finished jobs stay visible to squeue for 5 minutes.
MinJobAge=300
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=6819
# The munge socket for talking to slurmdbd (AuthInfo covers slurmctld and slurmd only).
AccountingStoragePass=$dir/munge/munge.socket
AccountingStorageTRES=gres/gpu
# Keep each job's --comment (the Snakemake plugin writes rule and wildcards there) for sacct.
AccountingStoreFlags=job_comment
JobCompType=jobcomp/none
GresTypes=gpu
$node_line NodeAddr=127.0.0.1 Gres=gpu:fake:1 State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  # A fake GPU: scheduled and accounted like a real one, no device behind it.
  cat >"$dir/etc/gres.conf" <<EOF
Name=gpu Type=fake File=/dev/null Count=1
EOF
  (
    umask 077
    cat >"$dir/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket
DbdHost=localhost
DbdPort=6819
SlurmUser=root
PidFile=$dir/run/slurmdbd.pid
LogFile=$dir/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=slurm
StoragePass=$db_pass
StorageLoc=slurm_acct_db
EOF
  )
  chmod 600 "$dir/etc/slurmdbd.conf"
  link_system_conf
}

ours() { [ -L "$system_conf" ] && [ "$(readlink "$system_conf")" = "$SLURM_CONF" ]; }

link_system_conf() {
  ours && return 0
  if [ -e "$system_conf" ] || [ -L "$system_conf" ]; then
    die "$system_conf exists and is not this script's link: this machine already has a Slurm configuration (use that cluster, or move the file away)"
  fi
  mkdir -p "$(dirname "$system_conf")"
  ln -s "$SLURM_CONF" "$system_conf"
}

start_munge() {
  local m=$dir/munge
  live_pid "$m/munged.pid" munged >/dev/null && return 0
  mkdir -p "$m"
  if [ ! -s "$m/munge.key" ]; then
    if command -v mungekey >/dev/null; then
      mungekey --create --keyfile="$m/munge.key"
    else
      dd if=/dev/urandom of="$m/munge.key" bs=1024 count=1 status=none
    fi
  fi
  chown -R munge:munge "$m"
  chmod 755 "$m"
  chmod 400 "$m/munge.key"
  rm -f "$m/munge.socket" "$m/munge.socket.lock"
  runuser -u munge -- munged --socket="$m/munge.socket" --key-file="$m/munge.key" \
    --pid-file="$m/munged.pid" --log-file="$m/munged.log" --seed-file="$m/munged.seed" \
    || die "munged did not start; see $m/munged.log"
  wait_for 20 munged "$m/munged.log" \
    bash -c "munge --socket='$m/munge.socket' -n | unmunge --socket='$m/munge.socket'"
}

sql() { mariadb --no-defaults --socket="$dir/mysql/mysqld.sock" -u root "$@"; }

start_mariadb() {
  local m=$dir/mysql
  if ! live_pid "$m/mariadbd.pid" mariadbd >/dev/null; then
    mkdir -p "$m"
    chown mysql:mysql "$m"
    chmod 755 "$m"
    if [ ! -d "$m/data/mysql" ]; then
      mariadb-install-db --no-defaults --user=mysql --datadir="$m/data" \
        --auth-root-authentication-method=socket --skip-test-db >"$m/install.log" 2>&1 \
        || { tail -n 30 "$m/install.log" >&2; die "mariadb-install-db failed"; }
    fi
    setsid mariadbd --no-defaults --user=mysql --datadir="$m/data" --socket="$m/mysqld.sock" \
      --pid-file="$m/mariadbd.pid" --port="$db_port" --bind-address=127.0.0.1 \
      --skip-name-resolve --log-error="$m/mariadb.log" --innodb-buffer-pool-size=256M --innodb-lock-wait-timeout=900 \
      --skip-log-bin </dev/null >/dev/null 2>&1 &
    wait_for 60 MariaDB "$m/mariadb.log" sql -e 'SELECT 1'
    wait_for 10 "MariaDB's pid file" "$m/mariadb.log" live_pid "$m/mariadbd.pid" mariadbd
  fi
  local pass
  pass=$(cat "$dir/etc/db.password")
  sql <<EOF
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY '$pass';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$pass';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
EOF
}

start_slurm() {
  if ! live_pid "$dir/run/slurmdbd.pid" slurmdbd >/dev/null; then
    slurmdbd || die "slurmdbd did not start; see $dir/log/slurmdbd.log"
    wait_for 60 slurmdbd "$dir/log/slurmdbd.log" sacctmgr -n show cluster
  fi
  if [ -z "$(sacctmgr -n -P show cluster "$cluster" format=cluster)" ]; then
    sacctmgr -i add cluster "$cluster" >/dev/null
  fi
  if ! live_pid "$dir/run/slurmctld.pid" slurmctld >/dev/null; then
    slurmctld -f "$SLURM_CONF" || die "slurmctld did not start; see $dir/log/slurmctld.log"
    wait_for 60 slurmctld "$dir/log/slurmctld.log" scontrol ping
  fi
  if ! live_pid "$dir/run/slurmd.pid" slurmd >/dev/null; then
    slurmd -f "$SLURM_CONF" || die "slurmd did not start; see $dir/log/slurmd.log"
  fi
  local host
  host=$(hostname -s)
  # A node left drained/down by an earlier run comes back; then wait for it to be idle.
  if sinfo -h -n "$host" -o %T | grep -Eq 'drain|down'; then
    scontrol update NodeName="$host" State=RESUME >/dev/null 2>&1 || true
  fi
  wait_for 60 "node $host to be idle" "$dir/log/slurmd.log" \
    bash -c "sinfo -h -n '$host' -o %T | grep -Eqx 'idle|mixed|allocated'"
  wait_for 30 "sacct" "$dir/log/slurmdbd.log" sacct -n -X -S "$(date +%Y-%m-%dT00:00:00)"
}

all_running() {
  local entry name pidfile comm
  for entry in "${daemons[@]}"; do
    read -r name pidfile comm <<<"$entry"
    live_pid "$pidfile" "$comm" >/dev/null || return 1
  done
}

cmd_start() {
  need_root start
  local t0=$SECONDS
  if all_running; then
    say "already running (state in $dir)"
    return 0
  fi
  # Some daemons but not all: start the missing ones (each start step is skipped when running).
  install_packages
  write_configs
  start_munge
  start_mariadb
  start_slurm
  say "cluster '$cluster' is up in $((SECONDS - t0)) s (state in $dir, config linked from $system_conf); try: sinfo"
}

cmd_stop() {
  need_root stop
  if live_pid "$dir/run/slurmctld.pid" slurmctld >/dev/null; then
    local jobs
    jobs=$(squeue -h -o %A 2>/dev/null || true)
    if [ -n "$jobs" ]; then
      say "cancelling this cluster's jobs: $(echo $jobs)"
      # shellcheck disable=SC2086
      scancel $jobs 2>/dev/null || true
      sleep 2
    fi
  fi
  local i entry name pidfile comm pid
  for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
    read -r name pidfile comm <<<"${daemons[$i]}"
    if pid=$(live_pid "$pidfile" "$comm"); then
      kill -TERM "$pid" 2>/dev/null || true
      local n
      for ((n = 0; n < 120; n++)); do
        [ -d "/proc/$pid" ] || break
        sleep 0.25
      done
      if [ -d "/proc/$pid" ]; then
        say "$name (pid $pid) did not stop in 30 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
      fi
      say "stopped $name (pid $pid)"
    fi
    rm -f "$pidfile"
  done
  if ours; then rm -f "$system_conf"; fi
}

cmd_status() {
  local entry name pidfile comm pid rc=0
  for entry in "${daemons[@]}"; do
    read -r name pidfile comm <<<"$entry"
    if pid=$(live_pid "$pidfile" "$comm"); then
      printf '%-10s running (pid %s)\n' "$name" "$pid"
    else
      printf '%-10s stopped\n' "$name"
      rc=3
    fi
  done
  if [ "$rc" = 0 ]; then
    sinfo -N -o '%N %T %c %m %G' || rc=3
  fi
  echo "state: $dir   SLURM_CONF=$SLURM_CONF$(ours && echo " (linked from $system_conf)")"
  return "$rc"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) echo "export SLURM_CONF=$SLURM_CONF" ;;
  *) usage ;;
esac
