#!/usr/bin/env bash
# The whole suite: contracts up to date, types, lint, format, then every test on real servers.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ensure_packages
cd "$KEEL_ROOT"
bin=node_modules/.bin

step() { echo "== $1" >&2; }
step "buf lint and generated contracts"
bash deploy/local/generate.sh --check
step "tsc --noEmit"
$bin/tsc -p tsconfig.json --noEmit
step "eslint"
$bin/eslint --max-warnings 0 .
step "prettier"
$bin/prettier --check . >/dev/null
step "jest"
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
status=0
$bin/jest --ci --json --outputFile="$report" "$@" || status=$?
node -e '
const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`);
' "$report" || true
exit "$status"
