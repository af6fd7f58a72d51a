# Sourced by the local scripts: where Keel keeps its tools and caches, and a pnpm 9 on PATH.
set -euo pipefail
KEEL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export KEEL_ROOT
export KEEL_CACHE_DIR="${KEEL_CACHE_DIR:-$HOME/.cache/keel}"
PNPM_VERSION="$(node -p "require('$KEEL_ROOT/package.json').packageManager.split('@')[1]")"

ensure_pnpm() {
  local tools="$KEEL_CACHE_DIR/tools/pnpm-$PNPM_VERSION"
  if [ ! -x "$tools/node_modules/.bin/pnpm" ]; then
    echo "keel: installing pnpm $PNPM_VERSION into $tools" >&2
    npm install --silent --no-audit --no-fund --prefix "$tools" "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$tools/node_modules/.bin:$PATH"
}

# Installs the workspace's packages when the lockfile changed since the last install.
ensure_packages() {
  ensure_pnpm
  local stamp="$KEEL_ROOT/node_modules/.keel-installed"
  if [ ! -f "$stamp" ] || [ "$KEEL_ROOT/pnpm-lock.yaml" -nt "$stamp" ]; then
    echo "keel: installing packages" >&2
    (cd "$KEEL_ROOT" && pnpm install --frozen-lockfile --reporter=append-only >&2)
    touch "$stamp"
  fi
}
