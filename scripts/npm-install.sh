#!/usr/bin/env bash
# `npm ci` when node_modules does not match package-lock.json (a fresh clone, or
# a changed lock), and nothing otherwise: re-installing costs half a minute.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.vmbackup-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
echo "[npm] npm ci"
npm ci --no-audit --no-fund
echo "$want" > "$stamp"
