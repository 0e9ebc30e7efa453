#!/usr/bin/env bash
# Installs what the production Temporal stack (scripts/production/stack.sh)
# needs beyond the dev stack's: Debian's PostgreSQL 15 and openssl, the Temporal
# server and its SQL schema tool built from go.temporal.io/server, the
# PostgreSQL schemas that ship inside that module, and the Web UI server built
# from github.com/temporalio/ui-server/v2.
#
# Usage: scripts/production/install.sh [apt|server|ui ...]   (default: all)
#
# Same rules as scripts/install-deps.sh (whose helpers it reuses): every step
# checks whether its result is usable and skips itself; builds land in the
# per-user cache (~/.cache/vmbackup), serialised across processes by a lock,
# and are renamed into place only once they run.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../install-deps.sh
source "$HERE/../install-deps.sh"
# shellcheck source=versions.env
source "$HERE/versions.env"

SERVER_DIR="$CACHE_ROOT/temporal-server-v$TEMPORAL_SERVER_VERSION"
SERVER_BIN="$SERVER_DIR/bin/temporal-server"
SQL_TOOL_BIN="$SERVER_DIR/bin/temporal-sql-tool"
SCHEMA_DIR="$SERVER_DIR/schema/postgresql/v12"
UI_DIR="$CACHE_ROOT/temporal-ui-v$TEMPORAL_UI_VERSION"
UI_BIN="$UI_DIR/bin/temporal-ui-server"

PROD_APT_PACKAGES=("postgresql-$POSTGRES_MAJOR" "postgresql-client-$POSTGRES_MAJOR" openssl util-linux)

install_prod_apt() {
  # install_apt works on APT_PACKAGES; point it at ours.
  APT_PACKAGES=("${PROD_APT_PACKAGES[@]}")
  install_apt
}

# go_build WHAT DIR MODULE@VERSION...: builds into a temp GOBIN next to DIR/bin
# and prints that temp dir. nice 19: the machine's cores are shared.
go_build() {
  local what=$1 dir=$2 tmpbin buildlog
  shift 2
  command -v go >/dev/null 2>&1 || die "$what: Go toolchain not found on PATH (needed to build $*)"
  mkdir -p "$dir/bin"
  rm -rf "$dir"/.gobin.*
  buildlog="$dir/build.log"
  tmpbin=$(mktemp -d "$dir/.gobin.XXXXXX")
  log "$what: building $* with $(go version | cut -d' ' -f3) (minutes on 2 cores; log $buildlog)"
  # GOTOOLCHAIN=local: never download a toolchain (only the module proxy is reachable).
  if ! GOTOOLCHAIN=local GOBIN="$tmpbin" nice -n 19 go install "$@" >"$buildlog" 2>&1; then
    rm -rf "$tmpbin"
    tail -n 30 "$buildlog" >&2 || true
    die "$what: go install failed (full log: $buildlog)"
  fi
  echo "$tmpbin"
}

server_ok() {
  [[ -x $SERVER_BIN && -x $SQL_TOOL_BIN && -f $SCHEMA_DIR/temporal/versioned/v1.0/manifest.json ]] \
    && "$SERVER_BIN" --version 2>/dev/null | grep -qF "$TEMPORAL_SERVER_VERSION" \
    && "$SQL_TOOL_BIN" --version 2>/dev/null | grep -qF "$TEMPORAL_SERVER_VERSION"
}

install_server() {
  if server_ok; then
    log "temporal-server: $TEMPORAL_SERVER_VERSION present"
    return
  fi
  take_lock "$SERVER_DIR.lock" "the Temporal server"
  if server_ok; then
    release_lock
    log "temporal-server: built by another process meanwhile"
    return
  fi
  local tmpbin modroot
  tmpbin=$(go_build temporal-server "$SERVER_DIR" \
    "go.temporal.io/server/cmd/server@v$TEMPORAL_SERVER_VERSION" \
    "go.temporal.io/server/cmd/tools/sql@v$TEMPORAL_SERVER_VERSION")
  "$tmpbin/server" --version >/dev/null 2>&1 || { rm -rf "$tmpbin"; die "temporal-server: built binary does not run"; }
  # The schemas the schema tool applies ship inside the module just built.
  modroot="$(GOTOOLCHAIN=local go env GOMODCACHE)/go.temporal.io/server@v$TEMPORAL_SERVER_VERSION"
  [[ -d $modroot/schema/postgresql/v12 ]] || { rm -rf "$tmpbin"; die "temporal-server: no schema/postgresql/v12 in $modroot"; }
  rm -rf "$SERVER_DIR/schema"
  mkdir -p "$SERVER_DIR/schema/postgresql"
  cp -R "$modroot/schema/postgresql/v12" "$SCHEMA_DIR"
  # The module cache is read-only; the copy must stay removable.
  chmod -R u+w "$SERVER_DIR/schema"
  mv -f "$tmpbin/server" "$SERVER_BIN"
  mv -f "$tmpbin/sql" "$SQL_TOOL_BIN"
  rm -rf "$tmpbin"
  release_lock
  server_ok || die "temporal-server: installed at $SERVER_BIN but does not report $TEMPORAL_SERVER_VERSION"
  log "temporal-server: installed $TEMPORAL_SERVER_VERSION at $SERVER_BIN (schema tool $SQL_TOOL_BIN)"
}

ui_ok() { [[ -x $UI_BIN ]] && "$UI_BIN" --version 2>/dev/null | grep -qF "$TEMPORAL_UI_VERSION"; }

install_ui() {
  if ui_ok; then
    log "temporal-ui: $TEMPORAL_UI_VERSION present"
    return
  fi
  take_lock "$UI_DIR.lock" "the Temporal Web UI server"
  if ui_ok; then
    release_lock
    log "temporal-ui: built by another process meanwhile"
    return
  fi
  local tmpbin
  # The module carries the UI's built assets (ui/assets); no node build needed.
  tmpbin=$(go_build temporal-ui "$UI_DIR" "github.com/temporalio/ui-server/v2/cmd/server@v$TEMPORAL_UI_VERSION")
  mv -f "$tmpbin/server" "$UI_BIN"
  rm -rf "$tmpbin"
  release_lock
  ui_ok || die "temporal-ui: installed at $UI_BIN but does not report $TEMPORAL_UI_VERSION"
  log "temporal-ui: installed $TEMPORAL_UI_VERSION at $UI_BIN"
}

prod_main() {
  local parts=("$@") part
  ((${#parts[@]})) || parts=(apt server ui)
  mkdir -p "$CACHE_ROOT"
  for part in "${parts[@]}"; do
    case $part in
      apt) install_prod_apt ;;
      server) install_server ;;
      ui) install_ui ;;
      *) die "unknown part '$part' (expected apt, server or ui)" ;;
    esac
  done
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  prod_main "$@"
fi
