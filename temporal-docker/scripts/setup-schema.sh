#!/bin/sh
# One-shot job `temporal-schema` of ../docker-compose.yml (admin-tools image):
# creates Temporal's two PostgreSQL databases on the first run and applies every
# schema version that is missing; safe on every `docker compose up`. The same
# steps as schema_up in scripts/production/stack.sh on the local stack.
# The password comes in SQL_PASSWORD (read by temporal-sql-tool itself).
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
DB_PORT=${DB_PORT:-5432}
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

tool() {
  db=$1
  shift
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" --db "$db" "$@"
}

# setup DB SCHEMA_SUBDIR
setup() {
  if ! out=$(tool "$1" create-database 2>&1); then
    case $out in
      *"already exists"*) echo "database $1: exists" ;;
      *) echo "$out" >&2; exit 1 ;;
    esac
  fi
  # -v 0.0 creates only the version tables (IF NOT EXISTS); update-schema
  # applies the versioned steps the database does not have yet.
  tool "$1" setup-schema -v 0.0
  tool "$1" update-schema -d "$SCHEMA_DIR/$2/versioned"
  echo "database $1: schema up to date"
}

setup temporal temporal
setup temporal_visibility visibility
