#!/usr/bin/env bash
# Makes the certificates of the production Temporal stack's mTLS with openssl:
# one CA, the frontend's server certificate, and one client certificate per
# name (each backup host's worker, the CLI, the Web UI).
#
# Usage: scripts/production/certs.sh DIR [SERVER_NAME] [CLIENT ...]
#   SERVER_NAME  DNS name in the server certificate (default: TLS_SERVER_NAME
#                of versions.env); localhost and 127.0.0.1 are always added
#   CLIENT       client names (default: TLS_CLIENTS of versions.env)
#
# Layout (the same in temporal-docker/, mounted at /etc/temporal/tls):
#   ca.pem ca.key  server.pem server.key  client-<name>.pem client-<name>.key
# Idempotent: a file that exists and verifies against the CA is kept, so
# re-running adds new clients without reissuing the others. Keys are 0600.
set -euo pipefail

log() { printf '[certs] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
source "$HERE/versions.env"

DIR=${1:-}
[[ -n $DIR ]] || die "usage: $0 DIR [SERVER_NAME] [CLIENT ...]"
SERVER_NAME=${2:-$TLS_SERVER_NAME}
shift $(($# >= 2 ? 2 : $#))
CLIENTS=("$@")
((${#CLIENTS[@]})) || IFS=, read -r -a CLIENTS <<<"$TLS_CLIENTS"

# Names become file names and certificate subjects: nothing else gets through.
[[ $SERVER_NAME =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || die "server name '$SERVER_NAME' is not a DNS name"
for c in "${CLIENTS[@]}"; do
  [[ $c =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "client name '$c' must match [a-z0-9][a-z0-9-]*"
done

# The CA outlives the leaves: reissuing a leaf means one host's files change,
# reissuing the CA means every host's.
CA_DAYS=3650
LEAF_DAYS=825

mkdir -p "$DIR"
umask 077

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() {
  if [[ -f $DIR/ca.pem && -f $DIR/ca.key ]]; then return; fi
  log "making the CA ($DIR/ca.pem)"
  new_key "$DIR/ca.key"
  openssl req -x509 -new -key "$DIR/ca.key" -sha256 -days "$CA_DAYS" \
    -subj "/O=vmbackup/CN=vmbackup Temporal CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$DIR/ca.pem" 2>/dev/null
}

# leaf BASENAME CN EKU [SAN]: issues BASENAME.pem/.key unless a valid one exists.
leaf() {
  local base=$1 cn=$2 eku=$3 san=${4:-} ext
  if [[ -f $DIR/$base.pem && -f $DIR/$base.key ]] \
    && openssl verify -CAfile "$DIR/ca.pem" "$DIR/$base.pem" >/dev/null 2>&1 \
    && openssl x509 -checkend 86400 -noout -in "$DIR/$base.pem" >/dev/null 2>&1; then
    return
  fi
  log "issuing $base.pem (CN=$cn${san:+, $san})"
  new_key "$DIR/$base.key"
  ext=$(mktemp)
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    [[ -z $san ]] || echo "subjectAltName=$san"
  } >"$ext"
  openssl req -new -key "$DIR/$base.key" -subj "/O=vmbackup/CN=$cn" 2>/dev/null \
    | openssl x509 -req -CA "$DIR/ca.pem" -CAkey "$DIR/ca.key" -CAcreateserial \
      -days "$LEAF_DAYS" -sha256 -extfile "$ext" -out "$DIR/$base.pem" 2>/dev/null
  rm -f "$ext"
}

ca
# serverAuth for the frontend and internode listeners; clientAuth because the
# server's own system worker presents this certificate to the frontend.
leaf server "$SERVER_NAME" serverAuth,clientAuth "DNS:$SERVER_NAME,DNS:localhost,IP:127.0.0.1"
for c in "${CLIENTS[@]}"; do
  leaf "client-$c" "$c" clientAuth
done
# The certificates are public; only the keys stay 0600.
chmod 0644 "$DIR"/*.pem
log "certificates in $DIR: CA, server ($SERVER_NAME), clients ${CLIENTS[*]}"
