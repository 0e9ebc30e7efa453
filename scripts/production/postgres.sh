# shellcheck shell=bash
# The production stack's PostgreSQL: initdb and pg_ctl as the postgres user,
# Temporal's role, and its two databases' schema applied by temporal-sql-tool.
# Sourced by scripts/production/stack.sh (its variables and the dev stack's helpers).


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
