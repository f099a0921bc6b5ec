#!/usr/bin/env bash
# Install and start: installs the npm dependencies when missing or stale, builds, and runs the
# exporter in the foreground with the given flags (e.g. --web.listen-address=127.0.0.1:8470) —
# with Prometheus and Alertmanager around it where they are installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "start.sh: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund
fi
# Build output goes to stderr too, so stdout stays the exporter's alone.
npm run --silent build >&2
# Started as root (a fresh server), the exporter keeps root only in its small agent and runs
# itself as the unprivileged system user "hyperion" (--user): made here once, as a package would.
if [[ $(id -u) == 0 ]] && ! id -u hyperion >/dev/null 2>&1; then
  echo "start.sh: creating the system user hyperion (the exporter runs as it; its agent stays root)" >&2
  useradd --system --no-create-home --home-dir /var/lib/hyperion --shell /usr/sbin/nologin hyperion
fi
# Where Prometheus and Alertmanager are installed (Debian: prometheus, prometheus-alertmanager),
# the local stack starts around the exporter with the same flags (scripts/stack.sh: URLs on
# stdout, Ctrl-C stops all); HYPERION_STACK=0 starts the exporter alone, as it does elsewhere.
installed() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 || -x /usr/bin/$1 ]]; }
if [[ ${HYPERION_STACK:-1} != 0 ]] && installed prometheus &&
  { installed prometheus-alertmanager || installed alertmanager; }; then
  exec ./scripts/stack.sh --no-build -- "$@"
fi
# Run the file itself: its first line carries the V8 flags (see exporter/src/main.ts).
exec exporter/dist/main.js "$@"
