#!/usr/bin/env bash
# The local stack with Temporal as operators deploy it, instead of the dev
# server: the Temporal server (versions.env) on Debian's PostgreSQL, its schema
# set up by temporal-sql-tool, mTLS on the frontend (and between the server's
# own roles) with certificates from certs.sh, vmbackup's search attributes
# registered, and the Web UI server talking to the frontend with its own
# client certificate. Ceph and the backy2 stores are the dev stack's (its
# scripts/stack.sh functions, sourced), started only if not running.
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

# The operator's CLI, as the `cli` client: every call shows its certificate.
prod_temporal() {
  timeout 15 "$TEMPORAL_BIN" "$@" --address "$FRONTEND" --namespace "$TEMPORAL_NAMESPACE" \
    --tls-ca-path "$TLS_DIR/$TLS_CA_CERT" --tls-cert-path "$TLS_DIR/client-cli.pem" \
    --tls-key-path "$TLS_DIR/client-cli.key" --tls-server-name "$TLS_SERVER_NAME" --command-timeout 10s
}

# One source for the attribute names: the ones lib/search-attributes.ts defines.
search_attributes() {
  sed -n "s/.*defineSearchAttributeKey('\([A-Za-z][A-Za-z0-9]*\)', SearchAttributeType\.KEYWORD).*/\1/p" \
    "$REPO_ROOT/lib/search-attributes.ts"
}

# ---------------------------------------------------------------- PostgreSQL

# The postmaster's pid from its own pid file (first line), if it runs on our data dir.
postgres_pid() {
  local pid
  [[ -r $PG_DATA/postmaster.pid ]] || return 1
  pid=$(head -n 1 "$PG_DATA/postmaster.pid")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$PG_DATA" || return 1
  echo "$pid"
}

as_pg() { runuser -u "$PG_USER" -- "$@"; }
# psql over the unix socket in our run dir, as the superuser (peer auth).
pg_sql() { as_pg "$PG_BIN/psql" -h "$PG_RUN" -p "$PROD_POSTGRES_PORT" -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"; }

postgres_up() {
  local pid
  id "$PG_USER" >/dev/null 2>&1 || die "postgres: no '$PG_USER' user (is postgresql-$POSTGRES_MAJOR installed?)"
  [[ -x $PG_BIN/initdb ]] || die "postgres: $PG_BIN/initdb missing (run scripts/production/install.sh)"
  mkdir -p "$PG_DIR"
  # The data dir lives in the clone: every folder above it must let postgres through.
  as_pg test -x "$PG_DIR" \
    || die "postgres: the '$PG_USER' user cannot reach $PG_DIR (a parent folder lacks o+x, e.g. a clone under /root); move the clone or chmod o+x its parents"
  install -d -o "$PG_USER" -m 0700 "$PG_RUN"
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    log "postgres: initdb $PG_DATA"
    rm -rf "$PG_DATA"
    install -d -o "$PG_USER" -m 0700 "$PG_DATA"
    # Local socket: peer (only the postgres user); TCP: passwords (scram).
    run_quiet "initdb" as_pg "$PG_BIN/initdb" -D "$PG_DATA" --auth-local=peer --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 --no-instructions
    as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null <<EOF
# vmbackup production stack (scripts/production/stack.sh)
listen_addresses = '127.0.0.1'
port = $PROD_POSTGRES_PORT
unix_socket_directories = '$PG_RUN'
EOF
  fi
  if pid=$(postgres_pid); then
    log "postgres: already running (pid $pid)"
  else
    require_free_port "$PROD_POSTGRES_PORT" postgres
    touch "$PG_LOG" && chown "$PG_USER" "$PG_LOG"
    log "postgres: starting PostgreSQL $POSTGRES_MAJOR on 127.0.0.1:$PROD_POSTGRES_PORT ($PG_DATA)"
    # -w: pg_ctl returns once the server accepts connections. 8>&-: the stack
    # lock must not be inherited by the daemon.
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start </dev/null >/dev/null 2>&1 8>&-; then
      tail -n 25 "$PG_LOG" >&2 || true
      die "postgres failed to start; see $PG_LOG"
    fi
  fi
  postgres_role
}

postgres_role() {
  if [[ ! -s $PG_PASSWORD_FILE ]]; then
    (umask 077 && openssl rand -hex 24 >"$PG_PASSWORD_FILE")
  fi
  local password
  password=$(<"$PG_PASSWORD_FILE")
  [[ $password =~ ^[0-9a-f]+$ ]] || die "postgres: $PG_PASSWORD_FILE does not hold a hex password"
  if [[ $(pg_sql "SELECT 1 FROM pg_roles WHERE rolname = '$TEMPORAL_DB_USER'") != 1 ]]; then
    # CREATEDB: the schema tool creates its two databases itself.
    run_quiet "create role $TEMPORAL_DB_USER" pg_sql "CREATE ROLE $TEMPORAL_DB_USER LOGIN CREATEDB PASSWORD '$password'"
    log "postgres: role $TEMPORAL_DB_USER created"
  fi
}

# sql_tool DB ARGS...: temporal-sql-tool on one database; the password goes
# through the environment, not the command line (ps shows that to everyone).
sql_tool() {
  local db=$1
  shift
  SQL_PASSWORD=$(<"$PG_PASSWORD_FILE") "$SQL_TOOL_BIN" --plugin "$TEMPORAL_DB_PLUGIN" --ep 127.0.0.1 \
    -p "$PROD_POSTGRES_PORT" -u "$TEMPORAL_DB_USER" --db "$db" "$@"
}

# Creates each database once, then applies whatever schema versions are missing.
schema_up() {
  local db dir
  [[ -x $SQL_TOOL_BIN && -d $SCHEMA_DIR ]] || die "temporal-sql-tool or schemas missing under $CACHE_ROOT (run scripts/production/install.sh)"
  for db in "$TEMPORAL_DB" "$TEMPORAL_VISIBILITY_DB"; do
    [[ $db == "$TEMPORAL_DB" ]] && dir="$SCHEMA_DIR/temporal/versioned" || dir="$SCHEMA_DIR/visibility/versioned"
    if [[ $(pg_sql "SELECT 1 FROM pg_database WHERE datname = '$db'") != 1 ]]; then
      run_quiet "create database $db" sql_tool "$db" create-database
      # -v 0.0: the version bookkeeping tables; update-schema brings it to the newest.
      run_quiet "setup-schema $db" sql_tool "$db" setup-schema -v 0.0
      log "postgres: database $db created"
    fi
    run_quiet "update-schema $db" sql_tool "$db" update-schema -d "$dir"
  done
  log "postgres: schemas of $TEMPORAL_DB and $TEMPORAL_VISIBILITY_DB up to date ($(basename "$(ls -d "$SCHEMA_DIR"/temporal/versioned/v* | sort -V | tail -n 1)"))"
}

# ---------------------------------------------------------------- Temporal

write_server_config() {
  local password tls
  password=$(<"$PG_PASSWORD_FILE")
  tls="$TLS_DIR"
  mkdir -p "$(dirname "$SERVER_DYNCONFIG")"
  # The repo's dynamic config, the one temporal-docker mounts too.
  cp "$REPO_ROOT/temporal-docker/dynamicconfig/development-sql.yaml" "$SERVER_DYNCONFIG"
  if (umask 077 && write_if_changed "$SERVER_CONFIG") <<EOF; then
# Generated by scripts/production/stack.sh; holds the database password (0600).
log:
  stdout: true
  level: warn
persistence:
  numHistoryShards: $NUM_HISTORY_SHARDS
  defaultStore: default
  visibilityStore: visibility
  datastores:
    default:
      sql:
        pluginName: $TEMPORAL_DB_PLUGIN
        databaseName: $TEMPORAL_DB
        connectAddr: 127.0.0.1:$PROD_POSTGRES_PORT
        connectProtocol: tcp
        user: $TEMPORAL_DB_USER
        password: "$password"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: $TEMPORAL_DB_PLUGIN
        databaseName: $TEMPORAL_VISIBILITY_DB
        connectAddr: 127.0.0.1:$PROD_POSTGRES_PORT
        connectProtocol: tcp
        user: $TEMPORAL_DB_USER
        password: "$password"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  pprof:
    port: 0
  tls:
    # Between the server's own roles (history, matching, worker): mTLS with the
    # server certificate on both ends.
    internode:
      server:
        certFile: $tls/$TLS_SERVER_CERT
        keyFile: $tls/$TLS_SERVER_KEY
        requireClientAuth: true
        clientCaFiles: [$tls/$TLS_CA_CERT]
      client:
        serverName: $TLS_SERVER_NAME
        rootCaFiles: [$tls/$TLS_CA_CERT]
    # What workers, the CLI and the UI talk to: only certificates our CA signed get in.
    frontend:
      server:
        certFile: $tls/$TLS_SERVER_CERT
        keyFile: $tls/$TLS_SERVER_KEY
        requireClientAuth: true
        clientCaFiles: [$tls/$TLS_CA_CERT]
      # The server's system worker connecting to the frontend (it presents the
      # internode certificate).
      client:
        serverName: $TLS_SERVER_NAME
        rootCaFiles: [$tls/$TLS_CA_CERT]
services:
  frontend:
    rpc:
      grpcPort: $PROD_FRONTEND_PORT
      membershipPort: $PROD_FRONTEND_MEMBERSHIP_PORT
      httpPort: $PROD_FRONTEND_HTTP_PORT
      bindOnIP: 127.0.0.1
  history:
    rpc:
      grpcPort: $PROD_HISTORY_PORT
      membershipPort: $PROD_HISTORY_MEMBERSHIP_PORT
      bindOnIP: 127.0.0.1
  matching:
    rpc:
      grpcPort: $PROD_MATCHING_PORT
      membershipPort: $PROD_MATCHING_MEMBERSHIP_PORT
      bindOnIP: 127.0.0.1
  worker:
    rpc:
      grpcPort: $PROD_WORKER_PORT
      membershipPort: $PROD_WORKER_MEMBERSHIP_PORT
      bindOnIP: 127.0.0.1
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: $FRONTEND
      httpAddress: 127.0.0.1:$PROD_FRONTEND_HTTP_PORT
dcRedirectionPolicy:
  policy: noop
# No archival: see temporal-docker/README.md (history retention and archival).
archival:
  history:
    state: disabled
  visibility:
    state: disabled
namespaceDefaults:
  archival:
    history:
      state: disabled
    visibility:
      state: disabled
dynamicConfigClient:
  filepath: $SERVER_DYNCONFIG
  pollInterval: 60s
EOF
    log "temporal-server: wrote $SERVER_CONFIG"
  fi
}

server_pid() { running_pid "$SERVER_PIDFILE" temporal-server "$SERVER_ROOT"; }

server_serving() { prod_temporal operator cluster health 2>/dev/null | grep -q SERVING; }

server_up() {
  local pid port
  [[ -x $SERVER_BIN ]] || die "temporal-server missing at $SERVER_BIN (run scripts/production/install.sh)"
  [[ -x $TEMPORAL_BIN ]] || die "temporal CLI missing at $TEMPORAL_BIN (run scripts/install-deps.sh)"
  write_server_config
  if pid=$(server_pid); then
    log "temporal-server: already running (pid $pid)"
  else
    for port in "$PROD_FRONTEND_PORT" "$PROD_FRONTEND_HTTP_PORT" "$PROD_FRONTEND_MEMBERSHIP_PORT" \
      "$PROD_HISTORY_PORT" "$PROD_HISTORY_MEMBERSHIP_PORT" "$PROD_MATCHING_PORT" \
      "$PROD_MATCHING_MEMBERSHIP_PORT" "$PROD_WORKER_PORT" "$PROD_WORKER_MEMBERSHIP_PORT"; do
      require_free_port "$port" temporal-server
    done
    log "temporal-server: starting $TEMPORAL_SERVER_VERSION, frontend $FRONTEND (mTLS), log $SERVER_LOG"
    # --allow-no-auth: mTLS decides who gets in; there is no authorizer (yet).
    # setsid + 8>&-: as the dev server in scripts/stack.sh.
    setsid "$SERVER_BIN" --root "$SERVER_ROOT" --config config --env production --allow-no-auth start \
      </dev/null >>"$SERVER_LOG" 2>&1 8>&- &
    echo $! >"$SERVER_PIDFILE"
  fi
  local deadline=$((SECONDS + 120))
  until server_serving; do
    if ! server_pid >/dev/null; then
      tail -n 25 "$SERVER_LOG" >&2 || true
      die "temporal-server exited during start-up; see $SERVER_LOG"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 25 "$SERVER_LOG" >&2 || true
      die "temporal-server not SERVING at $FRONTEND after 120s"
    fi
    sleep 0.5
  done
  namespace_up
  search_attributes_up
  log "temporal-server: SERVING at $FRONTEND with mTLS (pid $(server_pid))"
}

namespace_up() {
  if ! prod_temporal operator namespace describe >/dev/null 2>&1; then
    run_quiet "namespace create $TEMPORAL_NAMESPACE" prod_temporal operator namespace create --retention "$TEMPORAL_RETENTION"
    log "temporal-server: namespace $TEMPORAL_NAMESPACE created (retention $TEMPORAL_RETENTION)"
  fi
}

search_attributes_up() {
  local names listed sa
  names=$(search_attributes)
  [[ -n $names ]] || die "no search attributes found in lib/search-attributes.ts"
  # A namespace just created may take a moment to be visible to every role.
  wait_for "namespace $TEMPORAL_NAMESPACE" 60 "$SERVER_LOG" prod_temporal operator search-attribute list
  listed=$(prod_temporal operator search-attribute list 2>&1)
  for sa in $names; do
    if ! grep -qw -- "$sa" <<<"$listed"; then
      run_quiet "search-attribute create $sa" prod_temporal operator search-attribute create --name "$sa" --type Keyword
      log "temporal-server: search attribute $sa (Keyword) registered"
    fi
  done
}

# ---------------------------------------------------------------- Web UI
# Two UI servers, both mTLS clients of the frontend with the `ui` certificate:
# the operators' (ui) and the auditors' (ui-auditors: write actions disabled,
# as TEMPORAL_DISABLE_WRITE_ACTIONS does in temporal-docker/).

ui_root() { echo "$PROD_DIR/$1"; }
ui_port() { if [[ $1 == ui ]]; then echo "$PROD_UI_PORT"; else echo "$PROD_UI_AUDITORS_PORT"; fi; }
ui_url() { echo "http://127.0.0.1:$(ui_port "$1")"; }

# write_ui_config NAME
write_ui_config() {
  local name=$1 config readonly=false
  config="$(ui_root "$name")/config/production.yaml"
  [[ $name == ui ]] || readonly=true
  mkdir -p "$(dirname "$config")"
  if write_if_changed "$config" <<EOF; then
# Generated by scripts/production/stack.sh: a Web UI server of the local
# production stack, a client of the frontend with its own certificate.
temporalGrpcAddress: $FRONTEND
host: 127.0.0.1
port: $(ui_port "$name")
enableUi: true
defaultNamespace: $TEMPORAL_NAMESPACE
notifyOnNewVersion: false
disableWriteActions: $readonly
cors:
  allowOrigins:
    - $(ui_url "$name")
tls:
  caFile: $TLS_DIR/$TLS_CA_CERT
  certFile: $TLS_DIR/client-ui.pem
  keyFile: $TLS_DIR/client-ui.key
  serverName: $TLS_SERVER_NAME
  enableHostVerification: true
auth:
  enabled: false
EOF
    log "temporal-$name: wrote $config"
  fi
}

ui_pid() { running_pid "$(ui_root "$1")/ui.pid" temporal-ui-server "$(ui_root "$1")"; }

# Served AND able to reach the frontend through mTLS: the namespace list comes from there.
ui_serving() { curl -fsS --max-time 5 "$(ui_url "$1")/api/v1/namespaces" 2>/dev/null | grep -q "\"$TEMPORAL_NAMESPACE\""; }

# ui_up NAME
ui_up() {
  local name=$1 pid root url
  root=$(ui_root "$name")
  url=$(ui_url "$name")
  [[ -x $UI_BIN ]] || die "temporal-ui-server missing at $UI_BIN (run scripts/production/install.sh)"
  write_ui_config "$name"
  if pid=$(ui_pid "$name"); then
    log "temporal-$name: already running (pid $pid)"
  else
    require_free_port "$(ui_port "$name")" "temporal-$name"
    log "temporal-$name: starting $TEMPORAL_UI_VERSION on $url"
    setsid "$UI_BIN" --root "$root" --config config --env production start </dev/null >>"$root/ui.log" 2>&1 8>&- &
    echo $! >"$root/ui.pid"
  fi
  wait_for "the Web UI at $url to list namespace $TEMPORAL_NAMESPACE" 60 "$root/ui.log" ui_serving "$name"
  log "temporal-$name: $url (pid $(ui_pid "$name"))"
}

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
