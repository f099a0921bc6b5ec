#!/usr/bin/env bash
# THE test command (README, .ci/run): installs the programs the tests run against, installs the
# npm dependencies when they are missing or stale, then runs lint, typecheck, build and every
# test suite (scripts/run-suites.mjs). Its last line is always `N passed, N failed`; it exits
# non-zero when anything failed.
#
#   ./scripts/test.sh                  everything, as CI runs it
#   ./scripts/test.sh exporter         checks, then only the exporter suite
#   ./scripts/test.sh --no-checks exporter
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Something broke before any test could run: say so, and still end with the summary line.
abort() {
  echo "test.sh: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}

./scripts/install-test-deps.sh || abort "could not install the programs the tests need"

command -v node >/dev/null 2>&1 || abort "node is not installed (Node.js >= 20.17 is required)"
node -e '
  const [maj, min] = process.versions.node.split(".").map(Number);
  process.exit(maj > 20 || (maj === 20 && min >= 17) ? 0 : 1);
' || abort "Node.js >= 20.17 is required, found $(node --version)"

# npm records what it installed in node_modules/.package-lock.json: older than the lockfile
# means the tree is stale.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "test.sh: installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund || abort "npm ci failed"
fi

exec node scripts/run-suites.mjs "$@"
