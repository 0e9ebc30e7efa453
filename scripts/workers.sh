#!/usr/bin/env bash
# The local stack's backup-host workers, one per host of config/local.yaml, as
# daemons with pid files under .stack/workers/ (stopped by pid, never by name).
#   workers.sh start|stop|restart|status
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$root/.stack/workers
hosts=$(node --import tsx -e "import('$root/lib/config/load.ts').then(m => console.log(m.loadConfig(m.LOCAL_CONFIG).hosts.map(h => h.name).join(' ')))")
log() { printf '[workers] %s\n' "$*"; }

running() { # host → 0 when its recorded pid is our worker
  local pidfile=$dir/$1.pid pid
  [[ -f $pidfile ]] || return 1
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "backup-host.ts --host $1"
}

start() {
  mkdir -p "$dir"
  for host in $hosts; do
    if running "$host"; then log "$host: already running (pid $(cat "$dir/$host.pid"))"; continue; fi
    rm -f "$dir/$host.pid"
    # The worker writes its own pid file once it polls: no pid of a wrapper shell is ever recorded.
    # Text logs: a person tails these files; a service under systemd logs JSON lines (the worker's default).
    (cd "$root" && setsid nohup node --import tsx workers/backup-host.ts --host "$host" --log-format text --pid-file "$dir/$host.pid" >"$dir/$host.log" 2>&1 &)
  done
  for host in $hosts; do
    for _ in $(seq 1 300); do
      running "$host" && break
      sleep 0.2
    done
    running "$host" || { log "$host: worker did not start within 60 s; its log:"; tail -n 20 "$dir/$host.log"; exit 1; }
    log "$host: polling (pid $(cat "$dir/$host.pid"), log $dir/$host.log)"
  done
}

stop() {
  for host in $hosts; do
    running "$host" || { rm -f "$dir/$host.pid"; continue; }
    pid=$(cat "$dir/$host.pid")
    kill -TERM "$pid"  # graceful: the worker finishes or hands back its tasks
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    rm -f "$dir/$host.pid"
    log "$host: stopped"
  done
}

status() {
  local rc=0
  for host in $hosts; do
    if running "$host"; then printf '%-16s %-8s %s\n' "worker:$host" running "$(cat "$dir/$host.pid")"; else printf '%-16s %-8s %s\n' "worker:$host" stopped -; rc=3; fi
  done
  return $rc
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  restart) stop; start ;;
  status) status ;;
  *) echo "usage: $0 start|stop|restart|status" >&2; exit 2 ;;
esac
