#!/usr/bin/env bash
# `npm start`: install what is missing, then run the local servers and all six services.
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
ensure_packages
cd "$KEEL_ROOT/deploy/local"
exec node --require tsx/cjs start.ts
