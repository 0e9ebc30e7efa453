#!/usr/bin/env bash
# The main job on the embedded local stack: brings up Ceph, Temporal and backy2,
# starts a worker per backup host, makes a few demo VM disks with data, runs
# the nightly job twice with a change in between, and prints what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/stack.sh up
bash scripts/npm-install.sh
bash scripts/workers.sh restart
exec node --import tsx scripts/demo.ts
