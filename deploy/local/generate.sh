#!/usr/bin/env bash
# Lints the protos and regenerates libs/contracts/src/gen (TypeScript + descriptor set).
# With --check, generates into a scratch folder and fails when the committed code differs.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KEEL_ROOT/proto"
buf=../node_modules/.bin/buf
gen=libs/contracts/src/gen

$buf lint
if [ "${1:-}" = "--check" ]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  $buf generate -o "$scratch/proto"
  $buf build -o "$scratch/$gen/descriptor.binpb"
  if ! diff -r "$scratch/$gen" "$KEEL_ROOT/$gen" >/dev/null; then
    diff -r "$scratch/$gen" "$KEEL_ROOT/$gen" | head -40 >&2
    echo "keel: $gen differs from a fresh generation; run 'npm run generate' and commit" >&2
    exit 1
  fi
  echo "keel: generated contracts are up to date"
else
  $buf generate
  $buf build -o "../$gen/descriptor.binpb"
fi
