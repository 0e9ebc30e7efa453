#!/usr/bin/env bash
# The local stack with Temporal as operators deploy it, instead of the dev
# server: the Temporal server (versions.env) on Debian's PostgreSQL, its schema
# set up by temporal-sql-tool, mTLS on the frontend (and between the server's
# own roles) with certificates from certs.sh, vmbackup's search attributes
# registered, and the Web UI server talking to the frontend with its own
# client certificate. Ceph and the backy2 stores are the dev stack's (its
# scripts/stack.sh functions, sourced), started only if not running. The
# parts: postgres.sh, temporal.sh, ui.sh; this file has the paths and commands.
#
# Usage: scripts/production/stack.sh up|down|status|env
#   (also `npm run stack:up -- --production`, `scripts/stack.sh down --production`)
#
# State: <repo>/.stack/production/{postgres,temporal,ui,ui-auditors,tls,env}. `up` is
# idempotent: running daemons are found by pid file and left alone; the schema
# tool only applies missing schema versions. Ports: versions.env, clear of the
# dev stack's (which this never stops).
set -euo pipefail

PROD_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../stack.sh
source "$PROD_HERE/../stack.sh"
# shellcheck source=versions.env
source "$PROD_HERE/versions.env"

PROD_DIR="$STACK_DIR/production"
PROD_ENV_FILE="$PROD_DIR/env"
TLS_DIR="$PROD_DIR/tls"

PG_BIN="/usr/lib/postgresql/$POSTGRES_MAJOR/bin"
PG_DIR="$PROD_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_RUN="$PG_DIR/run"
PG_LOG="$PG_DIR/postgres.log"
PG_PASSWORD_FILE="$PG_DIR/temporal.password"
# PostgreSQL refuses to run as root: it runs as Debian's postgres user.
PG_USER=postgres

SERVER_ROOT="$PROD_DIR/temporal"
SERVER_CONFIG="$SERVER_ROOT/config/production.yaml"
SERVER_DYNCONFIG="$SERVER_ROOT/config/dynamicconfig/production.yaml"
SERVER_LOG="$SERVER_ROOT/temporal.log"
SERVER_PIDFILE="$SERVER_ROOT/temporal.pid"
SERVER_BIN="$CACHE_ROOT/temporal-server-v$TEMPORAL_SERVER_VERSION/bin/temporal-server"
SQL_TOOL_BIN="$CACHE_ROOT/temporal-server-v$TEMPORAL_SERVER_VERSION/bin/temporal-sql-tool"
SCHEMA_DIR="$CACHE_ROOT/temporal-server-v$TEMPORAL_SERVER_VERSION/schema/postgresql/v12"
FRONTEND="127.0.0.1:$PROD_FRONTEND_PORT"

UI_BIN="$CACHE_ROOT/temporal-ui-v$TEMPORAL_UI_VERSION/bin/temporal-ui-server"

# The parts, one job each.
# shellcheck source=postgres.sh
source "$PROD_HERE/postgres.sh"
# shellcheck source=temporal.sh
source "$PROD_HERE/temporal.sh"
# shellcheck source=ui.sh
source "$PROD_HERE/ui.sh"

# ---------------------------------------------------------------- commands

write_prod_env() {
  {
    echo "VMBACKUP_PROD_TEMPORAL_ADDRESS=$FRONTEND"
    echo "VMBACKUP_PROD_TEMPORAL_UI=$(ui_url ui)"
    echo "VMBACKUP_PROD_TEMPORAL_UI_AUDITORS=$(ui_url ui-auditors)"
    echo "VMBACKUP_PROD_TLS_DIR=$TLS_DIR"
    echo "VMBACKUP_PROD_TLS_SERVER_NAME=$TLS_SERVER_NAME"
    echo "VMBACKUP_PROD_POSTGRES=127.0.0.1:$PROD_POSTGRES_PORT"
  } | if write_if_changed "$PROD_ENV_FILE"; then log "wrote $PROD_ENV_FILE"; fi
}

prod_up() {
  local t0=$EPOCHREALTIME t1 clients
  validate
  check_free_space
  "$SCRIPT_DIR/install-deps.sh" || die "installing dependencies failed"
  "$PROD_HERE/install.sh" || die "installing the production Temporal stack failed"
  lock_stack
  ceph_up
  backy2_up
  # The dev stack's env describes Ceph and backy2, which tests read; write it
  # only where no dev stack did (its Temporal entries name the dev server).
  [[ -f $ENV_FILE ]] || write_env
  clients="${TLS_CLIENTS//,/ }"
  # shellcheck disable=SC2086 # one word per client name
  "$PROD_HERE/certs.sh" "$TLS_DIR" "$TLS_SERVER_NAME" $clients
  postgres_up
  schema_up
  server_up
  ui_up ui
  ui_up ui-auditors
  write_prod_env
  t1=$EPOCHREALTIME
  printf '[stack] production up in %.1fs: temporal %s (mTLS, PostgreSQL 127.0.0.1:%s), UI %s, certs %s\n' \
    "$(awk "BEGIN{print $t1 - $t0}")" "$FRONTEND" "$PROD_POSTGRES_PORT" "$(ui_url ui) (auditors $(ui_url ui-auditors))" "$TLS_DIR"
}

prod_down() {
  lock_stack
  local name
  for name in ui-auditors ui; do
    stop_by_pidfile "temporal-$name" "$(ui_root "$name")/ui.pid" 15 temporal-ui-server "$(ui_root "$name")"
  done
  stop_by_pidfile temporal-server "$SERVER_PIDFILE" 30 temporal-server "$SERVER_ROOT"
  local pid
  if pid=$(postgres_pid); then
    log "postgres: stopping pid $pid"
    run_quiet "pg_ctl stop" as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop
  fi
  log "production down (data left in $PROD_DIR; the dev stack's Ceph and backy2 keep running)"
}

prod_status() {
  local rc=0 pid fmt='%-16s %-8s %-8s %s\n'
  # shellcheck disable=SC2059 # fmt is a constant format string
  if pid=$(postgres_pid); then printf "$fmt" postgres running "$pid" "127.0.0.1:$PROD_POSTGRES_PORT ($PG_DATA)"; else printf "$fmt" postgres stopped - "$PG_DATA"; rc=3; fi
  # shellcheck disable=SC2059
  if pid=$(server_pid); then printf "$fmt" temporal-server running "$pid" "$FRONTEND (mTLS, $TLS_DIR)"; else printf "$fmt" temporal-server stopped - "$FRONTEND"; rc=3; fi
  local name
  for name in ui ui-auditors; do
    # shellcheck disable=SC2059
    if pid=$(ui_pid "$name"); then printf "$fmt" "temporal-$name" running "$pid" "$(ui_url "$name")"; else printf "$fmt" "temporal-$name" stopped - "$(ui_url "$name")"; rc=3; fi
  done
  return "$rc"
}

prod_main() {
  case ${1:-} in
    up) prod_up ;;
    down) prod_down ;;
    status) prod_status ;;
    # What search_attributes_up registers (test/unit/temporal-docker.test.ts compares).
    search-attributes) search_attributes ;;
    env)
      [[ -f $PROD_ENV_FILE ]] || die "$PROD_ENV_FILE does not exist yet; run: $0 up"
      cat "$PROD_ENV_FILE"
      ;;
    *)
      echo "usage: $0 up|down|status|env" >&2
      exit 2
      ;;
  esac
}

prod_main "$@"
