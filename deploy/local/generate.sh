#!/usr/bin/env bash
# Lints the protos and regenerates libs/contracts/src/gen (TypeScript + descriptor sets).
# With --check, generates into a scratch folder and fails when the committed code differs.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$KEEL_ROOT/proto"
buf=../node_modules/.bin/buf
gen=libs/contracts/src/gen
# grpc.health.v1, which every service serves beside its own: the health.proto shipped by the
# grpc-health-check package libs/kit runs. buf modules cannot reach outside proto/, so it is
# built as an input of its own (and, not being Keel's, is not linted).
health_protos="$(cd "$KEEL_ROOT/libs/kit" &&
  node -p "path.join(path.dirname(require.resolve('grpc-health-check/package.json')), 'proto')")"

# Plain FileDescriptorSets (no buf image metadata): reflection serves their files as they are.
build_descriptor_sets() {
  $buf build --as-file-descriptor-set -o "$1/descriptor.binpb"
  $buf build "$health_protos" --as-file-descriptor-set -o "$1/health.binpb"
}

$buf lint
if [ "${1:-}" = "--check" ]; then
  scratch="$(mktemp -d)"
  trap 'rm -rf "$scratch"' EXIT
  $buf generate -o "$scratch/proto"
  build_descriptor_sets "$scratch/$gen"
  if ! diff -r "$scratch/$gen" "$KEEL_ROOT/$gen" >/dev/null; then
    diff -r "$scratch/$gen" "$KEEL_ROOT/$gen" | head -40 >&2
    echo "keel: $gen differs from a fresh generation; run 'npm run generate' and commit" >&2
    exit 1
  fi
  echo "keel: generated contracts are up to date"
else
  $buf generate
  build_descriptor_sets "../$gen"
fi
