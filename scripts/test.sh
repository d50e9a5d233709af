#!/usr/bin/env bash
# The whole check, as CI runs it: install what is missing, type-check, lint, build, then the unit
# and lab-backed integration tests (the lab starts once for the whole run and is always stopped).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
start=$(date +%s)
echo "== type-check"; npx tsc -p tsconfig.json --noEmit
echo "== lint";       npx eslint .
echo "== build";      npx tsc -p tsconfig.build.json
echo "== tests"
node --import tsx scripts/run-tests.ts "$@"
echo "== done in $(( $(date +%s) - start )) s (after install)"
