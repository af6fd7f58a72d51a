#!/usr/bin/env bash
# `npm run -s keel -- …`: the Keel command-line client.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ensure_packages
cd "$KEEL_ROOT/deploy/cli"
exec node --require tsx/cjs src/main.ts "$@"
