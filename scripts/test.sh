#!/usr/bin/env bash
# Every test, on the real local stack: installs what is missing (apt packages,
# the Temporal build, the backy2 venv, npm packages), brings the stack up, then
# type-checks, lints and runs the unit and end-to-end tests (the production
# tier among them: Temporal on PostgreSQL with mTLS, about 70 s).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/stack.sh up
# The production tier (test/e2e/production-stack.test.ts) brings its stack up
# itself; build its Go binaries here, outside any test's timeout (minutes on
# a fresh machine, about a second when cached).
bash scripts/production/install.sh
bash scripts/npm-install.sh
node --import tsx scripts/support/quiet-stack.ts

echo "[test] type-check and lint"
npx tsc --noEmit
npx eslint --max-warnings 0 .

echo "[test] unit and end-to-end tests (real Temporal, Ceph and backy2)"
exec node --import tsx --test --test-concurrency=1 test/unit/*.test.ts test/e2e/*.test.ts
