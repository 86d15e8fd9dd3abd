#!/usr/bin/env bash
# A single-node Slurm cluster on this host, everything under one scratch directory:
# its own munge key and munged, a generated slurm.conf, slurmctld and slurmd as root.
# Nothing is read from or written to /etc/munge or /etc/slurm.
#
#   slurm_cluster.sh start DIR   starts the cluster and waits until its node is idle;
#                                clients then use SLURM_CONF=DIR/slurm.conf
#   slurm_cluster.sh wait DIR JOBID [LIMIT]
#                                waits until every task of the job has ended (at most
#                                LIMIT seconds, default 1800), prints one line per task
#                                (id, state, exit code, run time) and succeeds when all
#                                completed with exit code 0
#   slurm_cluster.sh stop DIR    cancels its jobs, stops slurmd, slurmctld and munged
#
# Exit codes of start: 0 the node is idle; 77 a daemon could not start here (no munge,
# slurmd refused, ...): the line names the check that failed, followed by its log's tail,
# and the caller skips; anything else is an error in this script's use.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR | wait DIR JOBID [LIMIT]" >&2
  exit 64
}
[ $# -ge 2 ] || usage
action=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
conf=$dir/slurm.conf
export SLURM_CONF=$conf

# How long each daemon may take to come up or go away; polled, not slept.
start_limit=60
stop_limit=30

# Whether `command` succeeds within `limit` seconds, trying every 0.1 s; `alive` (a list
# of pids) fails it early when one of those daemons has exited.
poll() {
  local limit=$1 alive=$2
  shift 2
  local deadline=$((SECONDS + limit)) pid
  while ! "$@" >/dev/null 2>&1; do
    for pid in $alive; do
      if ! kill -0 "$pid" 2>/dev/null; then
        echo "process $pid exited"
        return 1
      fi
    done
    if [ $SECONDS -ge $deadline ]; then
      echo "timed out after ${limit}s"
      return 1
    fi
    sleep 0.1
  done
}

# Reports a daemon that could not start and exits 77 (the caller skips).
cannot_start() {
  local check=$1 log=$2
  echo "slurm_cluster: cannot start: $check; tail of $log:"
  tail -n 20 "$log" 2>/dev/null | sed 's/^/  /' || true
  stop_daemons
  exit 77
}

# A TCP port nobody listens on (the local addresses in /proc/net/tcp*), from a range
# Linux does not hand out as ephemeral ports; `taken` names ports already chosen.
free_port() {
  local taken=" $* " port used
  # Ports in /proc/net/tcp are 4 upper-case hex digits (mawk, Debian's awk, has no strtonum).
  used=$(awk 'NR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 \
    2>/dev/null | sort -u | tr '\n' ' ')
  for port in $(shuf -i 20000-32000 -n 200); do
    case " $used $taken " in
      *" $(printf '%04X' "$port") "* | *" $port "*) ;;
      *)
        echo "$port"
        return 0
        ;;
    esac
  done
  echo "slurm_cluster: no free port in 20000-32000" >&2
  exit 1
}

# The daemons `start` launched, for a start that fails before they wrote their pid files.
started=()

# Sends SIGTERM to the daemons of the pid files (and those this start started), then waits
# until they are gone (each takes a second or two to shut down: in parallel, not in turn).
stop_daemons() {
  local pid_file pids=() pid
  for pid in "${started[@]}"; do
    if kill -TERM "$pid" 2>/dev/null; then pids+=("$pid"); fi
  done
  for pid_file in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munged.pid"; do
    [ -s "$pid_file" ] || continue
    pid=$(cat "$pid_file")
    if kill -TERM "$pid" 2>/dev/null; then pids+=("$pid"); fi
    rm -f "$pid_file"
  done
  local deadline=$((SECONDS + stop_limit))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "slurm_cluster: $pid still running after ${stop_limit}s; SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

start() {
  local program
  for program in munged mungekey munge unmunge slurmctld slurmd sinfo sbatch; do
    if ! command -v "$program" >/dev/null; then
      echo "slurm_cluster: cannot start: $program is not installed (slurm-wlm, munge)"
      exit 77
    fi
  done
  if [ -s "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    echo "slurm_cluster: a cluster already runs in $dir; stop it first" >&2
    exit 1
  fi
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  chmod 0700 "$dir"

  # munge: its own key, socket, pid, log and seed; as root it needs --force.
  local socket=$dir/munge.socket
  if [ ! -s "$dir/munge.key" ]; then
    mungekey --create --keyfile="$dir/munge.key" >"$dir/log/mungekey.out" 2>&1 ||
      cannot_start "mungekey --create" "$dir/log/mungekey.out"
  fi
  chmod 0400 "$dir/munge.key"
  munged --force --key-file="$dir/munge.key" --socket="$socket" \
    --pid-file="$dir/munged.pid" --log-file="$dir/log/munged.log" \
    --seed-file="$dir/munged.seed" </dev/null >"$dir/log/munged.out" 2>&1 ||
    cannot_start "munged" "$dir/log/munged.log"
  # munged returns once it serves its socket: a credential must round-trip now.
  munge -n -S "$socket" 2>>"$dir/log/munged.out" | unmunge -S "$socket" \
    >>"$dir/log/munged.out" 2>&1 ||
    cannot_start "munge -n | unmunge on $socket" "$dir/log/munged.out"

  # slurm.conf: this host as controller and only node, with the CPUs, sockets and
  # memory slurmd finds (slurmd -C), on ports nobody listens on.
  local host node_line ctld_port slurmd_port
  host=$(hostname -s)
  node_line=$(slurmd -C 2>"$dir/log/slurmd-C.out" | head -n 1) || true
  case "$node_line" in
    NodeName=*) ;;
    *) cannot_start "slurmd -C (the node's hardware)" "$dir/log/slurmd-C.out" ;;
  esac
  # slurmd -C names the node by the full hostname; the node here is the short one.
  node_line="NodeName=$host NodeAddr=127.0.0.1 ${node_line#NodeName=* }"
  ctld_port=$(free_port)
  slurmd_port=$(free_port "$ctld_port")
  cat >"$conf" <<EOF
# Generated by $(basename "$0") for a single-node test cluster.
ClusterName=diskferry-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/plugstack.conf
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# A job whose dependency can no longer be met (afterok on a failed array) is cancelled
# instead of pending forever.
DependencyParameters=kill_invalid_depend
ReturnToService=2
MpiDefault=none
MailProg=/bin/true
$node_line State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  : >"$dir/plugstack.conf"

  # The daemons run in the foreground (-D) in their own session, with their output in
  # files so that no caller's pipe stays open; each writes its pid file.
  # setsid execs the daemon in place: $! is its pid.
  local ctld_pid slurmd_pid
  setsid slurmctld -D -i -f "$conf" </dev/null >"$dir/log/slurmctld.out" 2>&1 &
  ctld_pid=$!
  started+=("$ctld_pid")
  if ! poll "$start_limit" "$ctld_pid" test -s "$dir/slurmctld.pid" ||
    ! poll "$start_limit" "$ctld_pid" scontrol ping; then
    cat "$dir/log/slurmctld.out" >>"$dir/log/slurmctld.log" 2>/dev/null || true
    cannot_start "slurmctld answering scontrol ping" "$dir/log/slurmctld.log"
  fi
  setsid slurmd -D -N "$host" -f "$conf" </dev/null >"$dir/log/slurmd.out" 2>&1 &
  slurmd_pid=$!
  started+=("$slurmd_pid")
  if ! poll "$start_limit" "$slurmd_pid $ctld_pid" test -s "$dir/slurmd.pid"; then
    cat "$dir/log/slurmd.out" >>"$dir/log/slurmd.log" 2>/dev/null || true
    cannot_start "slurmd writing its pid file" "$dir/log/slurmd.log"
  fi
  node_idle() { [ "$(sinfo -h -n "$host" -o %T)" = idle ]; }
  if ! poll "$start_limit" "$slurmd_pid $ctld_pid" node_idle; then
    cat "$dir/log/slurmd.out" >>"$dir/log/slurmd.log" 2>/dev/null || true
    cannot_start "node $host idle in sinfo (state: $(sinfo -h -n "$host" -o %T 2>&1))" \
      "$dir/log/slurmd.log"
  fi
  echo "slurm_cluster: node $host idle; SLURM_CONF=$conf"
}

stop() {
  # Jobs first, while slurmctld can still cancel them and slurmd end their steps.
  if [ -s "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null &&
    [ -f "$conf" ]; then
    scancel --user=root >/dev/null 2>&1 || true
    no_jobs() { [ -z "$(squeue -h -o %i)" ]; }
    poll "$stop_limit" "$(cat "$dir/slurmctld.pid")" no_jobs >/dev/null ||
      echo "slurm_cluster: jobs left after ${stop_limit}s: $(squeue -h -o '%i %T' | tr '\n' ' ')" >&2
  fi
  stop_daemons
}

# The job's records as scontrol keeps them, one line per task (pending tasks of an array
# share one), reduced to the fields wait reports.
job_lines() {
  scontrol show job -o "$1" | awk '{
    id = ""; task = ""; state = ""; code = ""; run = ""
    for (i = 1; i <= NF; ++i) {
      split($i, kv, "=")
      if (kv[1] == "JobId") id = kv[2]
      else if (kv[1] == "ArrayTaskId") task = kv[2]
      else if (kv[1] == "JobState") state = kv[2]
      else if (kv[1] == "ExitCode") code = kv[2]
      else if (kv[1] == "RunTime") run = kv[2]
    }
    print id (task == "" ? "" : " task " task), state, "exit " code, "ran " run
  }'
}

job_ended() {
  local lines
  lines=$(job_lines "$1") || return 1
  [ -n "$lines" ] && ! grep -qvE ' (COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE) ' <<<"$lines"
}

wait_job() {
  [ $# -ge 1 ] || usage
  local job=$1 limit=${2:-1800} lines
  if ! poll "$limit" "$(cat "$dir/slurmctld.pid")" job_ended "$job"; then
    echo "slurm_cluster: job $job has not ended:"
    job_lines "$job" | sed 's/^/  /'
    return 1
  fi
  lines=$(job_lines "$job")
  echo "$lines"
  ! grep -qv ' COMPLETED exit 0:0 ' <<<"$lines"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  wait)
    shift 2
    wait_job "$@"
    ;;
  *) usage ;;
esac
