#!/usr/bin/env bash
# Local development stack for vmbackup: a one-mon/one-OSD Ceph cluster, a
# Temporal dev server (with Web UI) and one backy2 config per backup host.
#
# Usage: scripts/stack.sh up|down|status [--production]|env|reset
#   --production: the same Ceph and backy2, but Temporal as operators run it
#          (scripts/production/stack.sh: PostgreSQL, mTLS, Web UI)
#   reset: down, then delete all kept state (backy2 stores, Temporal history)
# Fault injection on the running stack (tests; never recreates anything):
#   mon-restart          stop ceph-mon by its pid file, start it on its data
#   osd-pause SECONDS    SIGSTOP the OSD and mark it down for SECONDS, then
#                        SIGCONT (also on exit or interruption of this script)
#   osd-resume           SIGCONT the OSD and wait until it is up (a test's
#                        clean-up after a failure)
#   temporal-up          start (or check) only the Temporal dev server; with
#                        VMBACKUP_TEMPORAL_DIR a private one (a test's own)
#
# All state lives in <repo>/.stack (git-ignored). `up` is idempotent: running
# daemons are detected by pid file and left alone. Ceph's OSD keeps its data in
# RAM (memstore), so whenever Ceph is found not running the whole cluster is
# recreated empty; Temporal's SQLite DB and the backy2 metadata/data persist.
#
# Environment knobs (defaults in brackets):
#   VMBACKUP_CEPH_MON_PORT [6789]  VMBACKUP_MEMSTORE_GIB [8]
#   VMBACKUP_TEMPORAL_PORT [7233]  VMBACKUP_TEMPORAL_UI_PORT [8233]
#   VMBACKUP_TEMPORAL_DIR [.stack/temporal] (database, log, pid file)
#   VMBACKUP_TEMPORAL_HEADLESS [unset] (1: no Web UI)
#   VMBACKUP_HOSTS ["backup1 backup2"] (spaces or commas)
#   VMBACKUP_MIN_FREE_GIB [2] (up refuses below this much free space)
set -euo pipefail

log() { printf '[stack] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPT_DIR")
# Physical path: the daemons' command lines name it so (pid checks compare
# them), also when .stack is a symlink (a git worktree sharing one stack).
STACK_DIR=$(realpath -m "$REPO_ROOT/.stack")
ENV_FILE="$STACK_DIR/env"

CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/vmbackup"
# Keep these two in sync with scripts/install-deps.sh.
TEMPORAL_BIN="$CACHE_ROOT/temporal-v1.5.1/bin/temporal"
BACKY2_BIN="$CACHE_ROOT/backy2-2.9.17-venv/bin/backy2"

CEPH_DIR="$STACK_DIR/ceph"
CEPH_CONF="$CEPH_DIR/ceph.conf"
CEPH_MON_PORT=${VMBACKUP_CEPH_MON_PORT:-6789}
MEMSTORE_GIB=${VMBACKUP_MEMSTORE_GIB:-8}
MON_PIDFILE="$CEPH_DIR/run/mon.a.pid"
OSD_PIDFILE="$CEPH_DIR/run/osd.0.pid"
MON_LOG="$CEPH_DIR/log/mon.a.log"
OSD_LOG="$CEPH_DIR/log/osd.0.log"
CEPH_POOLS=(rbd images volumes)

TEMPORAL_DIR=${VMBACKUP_TEMPORAL_DIR:-$STACK_DIR/temporal}
TEMPORAL_DB="$TEMPORAL_DIR/temporal.db"
TEMPORAL_LOG="$TEMPORAL_DIR/temporal.log"
TEMPORAL_PIDFILE="$TEMPORAL_DIR/temporal.pid"
TEMPORAL_PORT=${VMBACKUP_TEMPORAL_PORT:-7233}
TEMPORAL_UI_PORT=${VMBACKUP_TEMPORAL_UI_PORT:-8233}
TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
SEARCH_ATTRIBUTES=(VmId Project BackupHost Operation Workload Outcome StartedBy VmName)

BACKY2_DIR="$STACK_DIR/backy2"
read -r -a HOSTS <<<"${VMBACKUP_HOSTS:-backup1 backup2}"
# Accept commas too, since .stack/env writes the list comma-separated.
read -r -a HOSTS <<<"${HOSTS[*]//,/ }"

# Bounded ceph/rbd calls: a client talking to a dead mon otherwise retries for
# minutes. --connect-timeout covers the mon handshake, timeout(1) the rest.
ceph_cmd() { timeout 30 ceph -c "$CEPH_CONF" --connect-timeout 10 "$@"; }
rbd_cmd() { timeout 30 rbd -c "$CEPH_CONF" "$@"; }
temporal_cmd() { timeout 15 "$TEMPORAL_BIN" "$@" --address "$TEMPORAL_ADDRESS" --command-timeout 10s; }

validate() {
  local h
  [[ $REPO_ROOT != *[[:space:]]* ]] || die "repo path '$REPO_ROOT' contains whitespace; .stack/env is written unquoted"
  [[ $CACHE_ROOT != *[[:space:]]* ]] || die "cache path '$CACHE_ROOT' contains whitespace; .stack/env is written unquoted"
  ((${#HOSTS[@]})) || die "VMBACKUP_HOSTS is empty"
  for h in "${HOSTS[@]}"; do
    # Host names end up in variable names (VMBACKUP_BACKY2_CONFIG_<host>).
    [[ $h =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "backup host '$h' must match [A-Za-z_][A-Za-z0-9_]* (it becomes part of an env var name)"
  done
  local p
  for p in "$CEPH_MON_PORT" "$TEMPORAL_PORT" "$TEMPORAL_UI_PORT" "$MEMSTORE_GIB"; do
    [[ $p =~ ^[0-9]+$ ]] || die "'$p' is not a number (check VMBACKUP_* variables)"
  done
}

# Prints the pid from PIDFILE if that process is alive and its command line
# contains every given word; a stale pid file (or a recycled pid now belonging
# to something else) yields nothing.
running_pid() {
  local pidfile=$1 pid cmdline word
  shift
  [[ -r $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  for word in "$@"; do
    [[ $cmdline == *"$word"* ]] || return 1
  done
  echo "$pid"
}

mon_pid() { running_pid "$MON_PIDFILE" ceph-mon "$CEPH_CONF"; }
osd_pid() { running_pid "$OSD_PIDFILE" ceph-osd "$CEPH_CONF"; }
temporal_pid() { running_pid "$TEMPORAL_PIDFILE" temporal start-dev "$TEMPORAL_DB"; }

# Stops the process behind PIDFILE (if it is ours), waiting up to GRACE seconds
# after SIGTERM before SIGKILL; removes the pid file either way.
stop_by_pidfile() {
  local name=$1 pidfile=$2 grace=$3 pid i
  shift 3
  if pid=$(running_pid "$pidfile" "$@"); then
    log "$name: stopping pid $pid"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < grace * 10; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name: still running after ${grace}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
    fi
  fi
  rm -f "$pidfile"
}

# wait_for DESCRIPTION TIMEOUT_S LOGFILE COMMAND...: polls COMMAND until it
# succeeds; on timeout shows the tail of LOGFILE, which is where the reason is.
wait_for() {
  local what=$1 timeout_s=$2 logfile=$3 deadline
  shift 3
  deadline=$((SECONDS + timeout_s))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout_s}s waiting for $what; last lines of $logfile:"
      tail -n 25 "$logfile" >&2 2>/dev/null || true
      die "$what did not come up"
    fi
    sleep 0.5
  done
}

# Refuses to start a daemon on a port someone else already listens on:
# otherwise the readiness probe could be answered by that other server.
require_free_port() {
  local port=$1 what=$2
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    die "$what: 127.0.0.1:$port is already in use by another process (set the matching VMBACKUP_*_PORT)"
  fi
}

# Writes stdin to FILE only when the content differs, so a warm `up` leaves
# mtimes alone.
write_if_changed() {
  local file=$1 tmp
  tmp=$(mktemp "$file.XXXXXX")
  # mktemp creates 0600; give the file the mode a plain `>` would have.
  chmod "$(printf '%o' $((0666 & ~$(umask))))" "$tmp"
  cat >"$tmp"
  if [[ -f $file ]] && cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    return 1
  fi
  mv -f "$tmp" "$file"
}

# ---------------------------------------------------------------- Ceph

write_ceph_conf() {
  local fsid=$1
  # Daemon-only settings (log file, admin socket, pid file) sit in [mon]/[osd]:
  # in [global] every rbd/ceph/backy2 client would fight over one socket path.
  cat >"$CEPH_CONF" <<EOF
# Generated by scripts/stack.sh for the local vmbackup stack; recreated on
# every fresh cluster.
[global]
fsid = $fsid
mon initial members = a
mon host = v1:127.0.0.1:$CEPH_MON_PORT
# One port per mon (the configured one): no msgr2 listener on 3300.
ms bind msgr2 = false
ms bind ipv6 = false
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
# Keep ceph health output quiet about things irrelevant to a throw-away local
# cluster (auth is off; the mon's store is tiny even on a fullish disk).
mon warn on insecure global id reclaim allowed = false
# The mon refuses to start when its filesystem has less than 'crit' percent
# free (default 5). Here it shares a big, busy disk with everything else: 5 %
# of 252 GB is 12 GB, yet the mon's store needs a few MB. Free space is checked
# in absolute terms by check_free_space instead.
mon data avail warn = 1
mon data avail crit = 0
run dir = $CEPH_DIR/run
crash dir = $CEPH_DIR/crash
# Fail fast (instead of the 300 s default) when the stack is down.
client mount timeout = 30

[mon]
mon data = $CEPH_DIR/mon/\$cluster-\$id
log file = $CEPH_DIR/log/\$name.log
admin socket = $CEPH_DIR/run/\$name.asok
pid file = $CEPH_DIR/run/\$name.pid
# Commit map changes every 0.1 s instead of every 1 s: bring-up issues a
# dozen of them one after another (crush, pools, application enable).
paxos propose interval = 0.1
paxos min wait = 0.01
mon cluster log file = default=$CEPH_DIR/log/\$cluster.\$channel.log cluster=$CEPH_DIR/log/\$cluster.log

[osd]
osd data = $CEPH_DIR/osd/\$cluster-\$id
log file = $CEPH_DIR/log/\$name.log
admin socket = $CEPH_DIR/run/\$name.asok
pid file = $CEPH_DIR/run/\$name.pid
public addr = 127.0.0.1
cluster addr = 127.0.0.1
# The OSD would otherwise send two crush commands while starting. With auth
# off they can race the monmap and carry a zero fsid, which the mon rejects
# ('wrong fsid') and the OSD exits; the crush placement is set up by
# stack.sh before the OSD starts anyway.
osd crush update on start = false
osd class update on start = false
# Fault tests mark the OSD down (stack.sh osd-pause); past 5 mark-downs in 10
# minutes (the default) it would exit, and memstore would lose everything.
osd max markdown count = 1000
# RAM-backed object store: fast, no disk setup, but lost when the OSD stops.
osd objectstore = memstore
memstore device bytes = $((MEMSTORE_GIB * 1024 * 1024 * 1024))
EOF
}

# Runs a setup command quietly, showing its output only when it fails.
run_quiet() {
  local what=$1 out
  shift
  if ! out=$("$@" 2>&1); then
    printf '%s\n' "$out" >&2
    die "$what failed: $*"
  fi
}

# Starts ceph-mon on the data it has (made by create_ceph_cluster) and waits
# until it answers.
start_mon() {
  # Daemons fork into the background themselves; the redirections keep them
  # from holding on to our stdout/stderr (a caller piping `up` would hang).
  # 8>&-: the stack lock's fd must not be inherited, or the daemons would hold
  # the lock for their whole life and the next up/down would wait forever.
  if ! ceph-mon -c "$CEPH_CONF" -i a </dev/null >>"$CEPH_DIR/log/mon.a.stdout" 2>&1 8>&-; then
    # The log is gone with the machine in CI: its last lines must be in our output.
    tail -n 25 "$MON_LOG" "$CEPH_DIR/log/mon.a.stdout" >&2 2>/dev/null || true
    die "ceph-mon failed to start; see $MON_LOG"
  fi
  wait_for "ceph-mon on 127.0.0.1:$CEPH_MON_PORT" 60 "$MON_LOG" ceph_cmd mon stat
  log "ceph: mon.a up on 127.0.0.1:$CEPH_MON_PORT"
}

create_ceph_cluster() {
  local fsid osd_id
  require_free_port "$CEPH_MON_PORT" ceph-mon
  rm -rf "$CEPH_DIR"
  mkdir -p "$CEPH_DIR"/{run,log,crash,mon,osd/ceph-0}
  fsid=$(cat /proc/sys/kernel/random/uuid)
  write_ceph_conf "$fsid"

  run_quiet "monmaptool" monmaptool --create --clobber --fsid "$fsid" \
    --addv a "[v1:127.0.0.1:$CEPH_MON_PORT]" "$CEPH_DIR/monmap"
  run_quiet "ceph-mon --mkfs" ceph-mon -c "$CEPH_CONF" --mkfs -i a --monmap "$CEPH_DIR/monmap"
  start_mon

  osd_id=$(ceph_cmd osd create 2>/dev/null) || die "ceph osd create failed"
  [[ $osd_id == 0 ]] || die "expected the fresh cluster's first OSD id to be 0, got '$osd_id'"
  run_quiet "ceph-osd --mkfs" ceph-osd -c "$CEPH_CONF" -i 0 --mkfs
  run_quiet "crush add-bucket" ceph_cmd osd crush add-bucket localhost host
  run_quiet "crush move" ceph_cmd osd crush move localhost root=default
  run_quiet "crush add osd.0" ceph_cmd osd crush add osd.0 1.0 host=localhost
  local attempt
  for attempt in 1 2 3; do
    ceph-osd -c "$CEPH_CONF" -i 0 </dev/null >>"$CEPH_DIR/log/osd.0.stdout" 2>&1 8>&- && return 0
    log "ceph: ceph-osd failed to start (attempt $attempt/3): $(tail -n 1 "$CEPH_DIR/log/osd.0.stdout")"
    sleep 1
  done
  tail -n 25 "$OSD_LOG" >&2 || true
  die "ceph-osd failed to start; see $OSD_LOG"
}

osd_is_up() { ceph_cmd osd stat --format json 2>/dev/null | grep -q '"num_up_osds":1[,}]'; }

ensure_pools() {
  local existing pool
  existing=$(ceph_cmd osd pool ls 2>/dev/null) || die "ceph osd pool ls failed"
  for pool in "${CEPH_POOLS[@]}"; do
    if ! grep -qx "$pool" <<<"$existing"; then
      run_quiet "create pool $pool" ceph_cmd osd pool create "$pool" 8 8
      run_quiet "rbd pool init $pool" rbd_cmd pool init "$pool"
      log "ceph: pool '$pool' created (8 PGs, size 1, rbd)"
    fi
  done
}

ceph_up() {
  local mon osd
  mon=$(mon_pid) || true
  osd=$(osd_pid) || true
  if [[ -n $mon && -n $osd ]]; then
    log "ceph: already running (mon pid $mon, osd pid $osd)"
  else
    # Memstore data does not survive the OSD, and a mon alone would describe
    # pools whose objects are gone: rebuild everything from scratch.
    if [[ -n $mon || -n $osd ]]; then
      log "ceph: only one daemon running; stopping it to recreate the cluster"
      stop_by_pidfile ceph-osd "$OSD_PIDFILE" 15 ceph-osd "$CEPH_CONF"
      stop_by_pidfile ceph-mon "$MON_PIDFILE" 15 ceph-mon "$CEPH_CONF"
    fi
    if [[ -e $CEPH_DIR ]]; then
      log "ceph: not running; memstore data is gone, wiping $CEPH_DIR and creating a fresh cluster"
    else
      log "ceph: creating a fresh cluster in $CEPH_DIR"
    fi
    create_ceph_cluster
  fi
  wait_for "osd.0 to be up" 90 "$OSD_LOG" osd_is_up
  ensure_pools
  # rbd ls blocks until the pool's PGs are active: the real "ready" signal.
  wait_for "pool 'rbd' to serve I/O (rbd ls rbd)" 90 "$OSD_LOG" rbd_cmd ls rbd
  log "ceph: ready (mon pid $(mon_pid), osd pid $(osd_pid), pools: ${CEPH_POOLS[*]})"
}

# ---------------------------------------------------------------- Temporal

temporal_serving() {
  temporal_cmd operator cluster health 2>/dev/null | grep -q SERVING
}

temporal_check_alive() {
  temporal_pid >/dev/null && return 0
  log "temporal: server exited; last lines of $TEMPORAL_LOG:"
  tail -n 25 "$TEMPORAL_LOG" >&2 || true
  die "temporal dev server died during start-up"
}

temporal_wait_serving() {
  local deadline=$((SECONDS + 90))
  until temporal_serving; do
    temporal_check_alive
    if ((SECONDS >= deadline)); then
      tail -n 25 "$TEMPORAL_LOG" >&2 || true
      die "temporal not SERVING at $TEMPORAL_ADDRESS after 90s"
    fi
    sleep 0.5
  done
}

ensure_search_attributes() {
  local listed sa
  listed=$(temporal_cmd operator search-attribute list 2>&1) \
    || { printf '%s\n' "$listed" >&2; die "temporal: search-attribute list failed"; }
  for sa in "${SEARCH_ATTRIBUTES[@]}"; do
    if ! grep -qw -- "$sa" <<<"$listed"; then
      log "temporal: registering missing search attribute $sa (Keyword)"
      run_quiet "search-attribute create $sa" \
        temporal_cmd operator search-attribute create --name "$sa" --type Keyword
    fi
  done
}

temporal_up() {
  local pid sa args
  [[ -x $TEMPORAL_BIN ]] || die "temporal CLI missing at $TEMPORAL_BIN (run scripts/install-deps.sh)"
  mkdir -p "$TEMPORAL_DIR"
  if pid=$(temporal_pid); then
    log "temporal: already running (pid $pid)"
  else
    require_free_port "$TEMPORAL_PORT" temporal
    args=(server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT"
      --db-filename "$TEMPORAL_DB" --namespace default --log-level warn)
    if [[ -n ${VMBACKUP_TEMPORAL_HEADLESS:-} ]]; then
      args+=(--headless)
    else
      require_free_port "$TEMPORAL_UI_PORT" "temporal UI"
      args+=(--ui-port "$TEMPORAL_UI_PORT")
    fi
    for sa in "${SEARCH_ATTRIBUTES[@]}"; do
      args+=(--search-attribute "$sa=Keyword")
    done
    log "temporal: starting dev server on $TEMPORAL_ADDRESS (UI :$TEMPORAL_UI_PORT, db $TEMPORAL_DB)"
    # setsid: own session, so it outlives this script and the caller's
    # terminal/process group (Ctrl-C in the calling shell does not reach it).
    # Not a process-group leader here, so setsid execs in place and $! is the
    # server's own pid.
    # 8>&-: see create_ceph_cluster (lock fd must not leak into daemons).
    setsid "$TEMPORAL_BIN" "${args[@]}" </dev/null >>"$TEMPORAL_LOG" 2>&1 8>&- &
    echo $! >"$TEMPORAL_PIDFILE"
  fi
  temporal_wait_serving
  temporal_check_alive
  ensure_search_attributes
  log "temporal: SERVING at $TEMPORAL_ADDRESS, UI http://127.0.0.1:$TEMPORAL_UI_PORT (pid $(temporal_pid))"
}

# ---------------------------------------------------------------- backy2

backy2_cfg() { echo "$BACKY2_DIR/$1/backy.cfg"; }

backy2_up() {
  local host dir cfg
  [[ -x $BACKY2_BIN ]] || die "backy2 missing at $BACKY2_BIN (run scripts/install-deps.sh)"
  for host in "${HOSTS[@]}"; do
    dir="$BACKY2_DIR/$host"
    cfg=$(backy2_cfg "$host")
    mkdir -p "$dir"/{lock,data,nbd-cache}
    # With -c, backy2 2.9.17 reads only this file (no built-in defaults), so
    # every key it looks up must be here. lock_dir holds per-version flock
    # files; process_name is what cleanup --full matches other processes by.
    if write_if_changed "$cfg" <<EOF; then
# Generated by scripts/stack.sh: backup host '$host' of the local stack.
[DEFAULTS]
logfile: $dir/backy.log
block_size: 4194304
hash_function: sha512
lock_dir: $dir/lock
process_name: backy2
disallow_rm_when_younger_than_days: 3

[MetaBackend]
type: backy2.meta_backends.sql
engine: sqlite:///$dir/backy.sqlite

[DataBackend]
type: backy2.data_backends.file
path: $dir/data
simultaneous_writes: 5
simultaneous_reads: 5

[NBD]
cachedir: $dir/nbd-cache

[io_file]
simultaneous_reads: 5

[io_rbd]
ceph_conffile: $CEPH_CONF
simultaneous_reads: 10
new_image_features:
    RBD_FEATURE_LAYERING
    RBD_FEATURE_EXCLUSIVE_LOCK
EOF
      log "backy2[$host]: wrote $cfg"
    fi
    if [[ ! -f $dir/backy.sqlite ]]; then
      if ! "$BACKY2_BIN" -c "$cfg" initdb >"$dir/initdb.out" 2>&1; then
        cat "$dir/initdb.out" >&2
        rm -f "$dir/backy.sqlite"
        die "backy2[$host]: initdb failed"
      fi
      log "backy2[$host]: initialised $dir/backy.sqlite"
    fi
  done
  log "backy2: hosts ready: ${HOSTS[*]}"
}

# ---------------------------------------------------------------- env/status

write_env() {
  local host hosts_csv
  hosts_csv=$(IFS=,; echo "${HOSTS[*]}")
  {
    echo "VMBACKUP_CEPH_CONF=$CEPH_CONF"
    echo "VMBACKUP_TEMPORAL_BIN=$TEMPORAL_BIN"
    echo "VMBACKUP_BACKY2_BIN=$BACKY2_BIN"
    echo "VMBACKUP_TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS"
    echo "VMBACKUP_TEMPORAL_UI=http://127.0.0.1:$TEMPORAL_UI_PORT"
    # Comma-separated: an unquoted space would break `source .stack/env`.
    echo "VMBACKUP_HOSTS=$hosts_csv"
    for host in "${HOSTS[@]}"; do
      echo "VMBACKUP_BACKY2_CONFIG_$host=$(backy2_cfg "$host")"
    done
  } | if write_if_changed "$ENV_FILE"; then log "wrote $ENV_FILE"; fi
}

# Guards against two concurrent up/down runs on the same clone.
lock_stack() {
  mkdir -p "$STACK_DIR"
  exec 8>"$STACK_DIR/.lock"
  if ! flock -n 8; then
    log "another stack.sh up/down is running on this clone; waiting"
    flock 8
  fi
}

# Free space, in absolute terms, where the stack keeps its state: backy2's
# file stores grow by about 6 GiB over one full test run, and a daemon or
# backup that dies of ENOSPC halfway says so far less clearly than this.
MIN_FREE_GIB=${VMBACKUP_MIN_FREE_GIB:-2}
WARN_FREE_GIB=8
check_free_space() {
  local avail_kib avail_gib
  mkdir -p "$STACK_DIR"
  avail_kib=$(df -Pk "$STACK_DIR" | awk 'NR == 2 { print $4 }')
  avail_gib=$((avail_kib / 1024 / 1024))
  if ((avail_gib < MIN_FREE_GIB)); then
    die "only ${avail_gib} GiB free on the filesystem of $STACK_DIR; the stack needs at least ${MIN_FREE_GIB} GiB (a full test run writes about 6 GiB of backups). Free some space, or drop old local backups with: $0 reset"
  fi
  if ((avail_gib < WARN_FREE_GIB)); then
    log "warning: only ${avail_gib} GiB free on the filesystem of $STACK_DIR; a full test run writes about 6 GiB of backups"
  fi
}

cmd_up() {
  local t0=$EPOCHREALTIME t1
  validate
  check_free_space
  "$SCRIPT_DIR/install-deps.sh" || die "installing dependencies failed"
  lock_stack
  ceph_up
  temporal_up
  backy2_up
  write_env
  t1=$EPOCHREALTIME
  printf '[stack] up in %.1fs: ceph (127.0.0.1:%s, pools %s), temporal %s, backy2 hosts %s\n' \
    "$(awk "BEGIN{print $t1 - $t0}")" "$CEPH_MON_PORT" "${CEPH_POOLS[*]}" "$TEMPORAL_ADDRESS" "${HOSTS[*]}"
  printf '[stack] Temporal UI: http://127.0.0.1:%s   env: %s\n' "$TEMPORAL_UI_PORT" "$ENV_FILE"
}

cmd_down() {
  lock_stack
  # Workers first, so none is left polling a server that is going away.
  if [[ -d $STACK_DIR/workers ]]; then bash "$(dirname "${BASH_SOURCE[0]}")/workers.sh" stop; fi
  stop_by_pidfile temporal "$TEMPORAL_PIDFILE" 15 temporal start-dev "$TEMPORAL_DB"
  stop_by_pidfile ceph-osd "$OSD_PIDFILE" 15 ceph-osd "$CEPH_CONF"
  stop_by_pidfile ceph-mon "$MON_PIDFILE" 15 ceph-mon "$CEPH_CONF"
  log "down (data left in $STACK_DIR; Ceph memstore contents are gone and will be recreated by up)"
}

# status describes what `up` actually started, which may have used other
# VMBACKUP_* values than this shell has: take them from .stack/env and
# ceph.conf unless set explicitly.
load_effective_settings() {
  local key value port bytes
  if [[ -f $ENV_FILE ]]; then
    while IFS='=' read -r key value; do
      case $key in
        VMBACKUP_TEMPORAL_ADDRESS) [[ -n ${VMBACKUP_TEMPORAL_PORT:-} ]] || TEMPORAL_ADDRESS=$value ;;
        VMBACKUP_TEMPORAL_UI) [[ -n ${VMBACKUP_TEMPORAL_UI_PORT:-} ]] || TEMPORAL_UI_PORT=${value##*:} ;;
        VMBACKUP_HOSTS) [[ -n ${VMBACKUP_HOSTS:-} ]] || IFS=, read -r -a HOSTS <<<"$value" ;;
      esac
    done <"$ENV_FILE"
  fi
  if [[ -f $CEPH_CONF ]]; then
    port=$(sed -n 's/^mon host = v1:127\.0\.0\.1:\([0-9]*\)$/\1/p' "$CEPH_CONF")
    [[ -n ${VMBACKUP_CEPH_MON_PORT:-} || -z $port ]] || CEPH_MON_PORT=$port
    bytes=$(sed -n 's/^memstore device bytes = \([0-9]*\)$/\1/p' "$CEPH_CONF")
    [[ -n ${VMBACKUP_MEMSTORE_GIB:-} || -z $bytes ]] || MEMSTORE_GIB=$((bytes / 1024 / 1024 / 1024))
  fi
}

cmd_status() {
  local all_ok=0 pid host cfg state
  load_effective_settings
  local fmt='%-16s %-8s %-8s %s\n'
  if pid=$(temporal_pid); then state=running; else state=stopped pid=-; all_ok=3; fi
  # shellcheck disable=SC2059 # fmt is a constant format string
  printf "$fmt" temporal "$state" "$pid" "$TEMPORAL_ADDRESS (UI http://127.0.0.1:$TEMPORAL_UI_PORT)"
  if pid=$(mon_pid); then state=running; else state=stopped pid=-; all_ok=3; fi
  # shellcheck disable=SC2059
  printf "$fmt" ceph-mon "$state" "$pid" "127.0.0.1:$CEPH_MON_PORT ($CEPH_CONF)"
  if pid=$(osd_pid); then state=running; else state=stopped pid=-; all_ok=3; fi
  # shellcheck disable=SC2059
  printf "$fmt" ceph-osd "$state" "$pid" "osd.0 memstore ${MEMSTORE_GIB} GiB"
  for host in "${HOSTS[@]}"; do
    cfg=$(backy2_cfg "$host")
    # backy2 is a CLI, not a daemon: "ready" means config and metadata DB exist.
    if [[ -f $cfg && -f $BACKY2_DIR/$host/backy.sqlite ]]; then state=ready; else state=missing; all_ok=3; fi
    # shellcheck disable=SC2059
    printf "$fmt" "backy2:$host" "$state" - "$cfg"
  done
  return "$all_ok"
}

# Everything the stack keeps between runs (backy2 stores, Temporal's history,
# test and bench scratch) is deleted; the next `up` starts empty.
cmd_reset() {
  # The production stack keeps its PostgreSQL under .stack/production: stop it
  # before its files go.
  if [[ -d $STACK_DIR/production ]]; then bash "$SCRIPT_DIR/production/stack.sh" down; fi
  cmd_down
  local entry
  # Everything under .stack but the lock this function holds.
  for entry in "$STACK_DIR"/* "$STACK_DIR"/.[!.]*; do
    [[ -e $entry && $entry != "$STACK_DIR/.lock" ]] || continue
    log "reset: removing $entry ($(du -sh "$entry" 2>/dev/null | cut -f1))"
    rm -rf "$entry"
  done
  log "reset: done; run '$0 up' for an empty stack"
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "$ENV_FILE does not exist yet; run: $0 up"
  cat "$ENV_FILE"
}

# ---------------------------------------------------------------- faults
# For tests of what the system does when a daemon goes away. Each acts on the
# running stack by its pid files and never recreates anything: ceph_up would
# rebuild the whole (memstore) cluster when it finds a daemon missing.

# Restarts the monitor on its existing store; the OSD keeps running, with its data.
cmd_mon_restart() {
  local pid
  pid=$(mon_pid) || die "ceph-mon is not running (pid file $MON_PIDFILE); start the stack with: $0 up"
  osd_pid >/dev/null || die "ceph-osd is not running; a mon restart would not bring its (memstore) data back"
  stop_by_pidfile ceph-mon "$MON_PIDFILE" 15 ceph-mon "$CEPH_CONF"
  start_mon
  wait_for "osd.0 to be up" 90 "$OSD_LOG" osd_is_up
  log "ceph: mon.a restarted (was pid $pid, now pid $(mon_pid))"
}

# Stops the OSD for SECONDS the way a hung OSD host goes: the daemon is frozen
# (SIGSTOP; never killed: memstore would lose every object) and the cluster
# marks it down, as its peers would after their heartbeat grace (this cluster
# has no peers to do it). Then SIGCONT: the OSD finds itself marked down and
# boots again. Freezing alone is not enough here: a lone OSD's PGs stay
# "waiting for readable" after it (their read lease ran out while frozen and
# only peering renews it), so every read hangs until they peer again.
# SIGCONT is also sent when this script ends early (a signal, a failure).
cmd_osd_pause() {
  local seconds=${1:-}
  [[ $seconds =~ ^[0-9]+$ ]] || die "usage: $0 osd-pause SECONDS"
  OSD_PAUSED_PID=$(osd_pid) || die "ceph-osd is not running (pid file $OSD_PIDFILE)"
  # Each pause is one mark-down; the default 5 in 10 minutes would make the OSD exit (and lose its data).
  run_quiet "raise osd_max_markdown_count" ceph_cmd tell osd.0 config set osd_max_markdown_count 1000
  trap 'kill -CONT "$OSD_PAUSED_PID" 2>/dev/null || true' EXIT
  trap 'exit 143' TERM INT HUP
  kill -STOP "$OSD_PAUSED_PID"
  run_quiet "ceph osd down 0" ceph_cmd osd down 0
  log "ceph: osd.0 (pid $OSD_PAUSED_PID) stopped and marked down for ${seconds}s"
  # In the background: bash runs a trap only once its foreground child is done.
  sleep "$seconds" &
  wait $!
  kill -CONT "$OSD_PAUSED_PID"
  wait_for "osd.0 to be up again" 90 "$OSD_LOG" osd_is_up
  wait_for "pool 'rbd' to serve I/O again (rbd ls rbd)" 90 "$OSD_LOG" rbd_cmd ls rbd
  log "ceph: osd.0 (pid $OSD_PAUSED_PID) continued and up"
}

# After an osd-pause cut short: the OSD continued, and up again (it boots by itself once continued).
cmd_osd_resume() {
  local pid
  pid=$(osd_pid) || die "ceph-osd is not running (pid file $OSD_PIDFILE)"
  kill -CONT "$pid"
  wait_for "osd.0 to be up" 90 "$OSD_LOG" osd_is_up
}

main() {
  case ${1:-} in
    # --production: Temporal as operators run it (PostgreSQL, mTLS, Web UI),
    # instead of the dev server; see scripts/production/stack.sh.
    up) if [[ ${2:-} == --production ]]; then exec bash "$SCRIPT_DIR/production/stack.sh" up; else cmd_up; fi ;;
    down) if [[ ${2:-} == --production ]]; then exec bash "$SCRIPT_DIR/production/stack.sh" down; else cmd_down; fi ;;
    status) if [[ ${2:-} == --production ]]; then exec bash "$SCRIPT_DIR/production/stack.sh" status; else cmd_status; fi ;;
    env) cmd_env ;;
    reset) cmd_reset ;;
    mon-restart) cmd_mon_restart ;;
    osd-pause) cmd_osd_pause "${2:-}" ;;
    osd-resume) cmd_osd_resume ;;
    temporal-up)
      validate
      temporal_up
      ;;
    *)
      echo "usage: $0 up|down|status [--production]|env|reset|mon-restart|osd-pause SECONDS|osd-resume|temporal-up" >&2
      exit 2
      ;;
  esac
}

# Sourced (scripts/production/stack.sh reuses the Ceph, backy2 and pid-file
# helpers above): define only.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  main "$@"
fi
