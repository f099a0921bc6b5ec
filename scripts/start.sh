#!/usr/bin/env bash
# Install and start: installs the npm dependencies when missing or stale, builds, and runs the
# exporter in the foreground with the given flags (e.g. --web.listen-address=127.0.0.1:8470).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "start.sh: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund
fi
# Build output goes to stderr too, so stdout stays the exporter's alone.
npm run --silent build >&2
exec node exporter/dist/main.js "$@"
