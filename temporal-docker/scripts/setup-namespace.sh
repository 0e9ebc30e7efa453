#!/bin/bash
# One-shot job `temporal-admin-tools` of ../docker-compose.yml: the namespace
# (with its retention) and vmbackup's search attributes, through the
# frontend's mTLS with the CLI's client certificate; safe on every `up`. The
# same steps as namespace_up and search_attributes_up in
# scripts/production/stack.sh on the local stack.
set -euo pipefail

: "${TEMPORAL_ADDRESS:?}" "${NAMESPACE:?}" "${RETENTION:?}" "${TLS_DIR:?}" "${TLS_SERVER_NAME:?}"

tcli() {
  temporal "$@" --address "$TEMPORAL_ADDRESS" --namespace "$NAMESPACE" --command-timeout 10s \
    --tls-ca-path "$TLS_DIR/ca.pem" --tls-cert-path "$TLS_DIR/client-cli.pem" \
    --tls-key-path "$TLS_DIR/client-cli.key" --tls-server-name "$TLS_SERVER_NAME"
}

# retry WHAT COMMAND...: the frontend may still be warming up.
retry() {
  local what=$1 attempt
  shift
  for attempt in $(seq 1 20); do
    "$@" && return 0
    echo "$what: attempt $attempt failed; retrying" >&2
    sleep 3
  done
  echo "$what: giving up" >&2
  exit 1
}

if ! tcli operator namespace describe >/dev/null 2>&1; then
  retry "namespace create" tcli operator namespace create --retention "$RETENTION"
fi

# ensure NAME: one Keyword attribute; an existing one (same type) counts as done.
ensure() {
  local out
  if out=$(tcli operator search-attribute create --name "$1" --type Keyword 2>&1); then
    echo "search attribute $1: registered"
  elif grep -qi 'different type' <<<"$out"; then
    echo "search attribute $1: exists with another type: $out" >&2
    exit 1
  elif grep -qi 'already exist' <<<"$out"; then
    echo "search attribute $1: already exists"
  else
    echo "search attribute $1: $out" >&2
    return 1
  fi
}

# One line per attribute of lib/search-attributes.ts (test/unit/temporal-docker.test.ts checks).
ATTRIBUTES=(VmId Project BackupHost Operation Workload Outcome StartedBy VmName)
for name in "${ATTRIBUTES[@]}"; do
  retry "search attribute $name" ensure "$name"
done

# Listed by the namespace before any worker starts (it starts after this job).
listed() {
  local list name
  list=$(tcli operator search-attribute list 2>&1) || return 1
  for name in "${ATTRIBUTES[@]}"; do grep -qw -- "$name" <<<"$list" || return 1; done
}
retry "search attributes listed" listed
echo "namespace $NAMESPACE: retention $RETENTION, search attributes ${ATTRIBUTES[*]}"
