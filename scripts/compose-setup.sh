#!/usr/bin/env bash
# First start of docker-compose.yml, in one command: prepares .env (from .env.example, with a
# random Grafana admin password) and the secret files, builds the Grafana plugin when needed,
# starts the exporter, creates the tokens Prometheus (a viewer: discovery and /probe) and Grafana
# use, then starts the rest.
# Safe to run again: what exists and works is kept.
#
#   scripts/compose-setup.sh             everything
#   scripts/compose-setup.sh --prepare   only .env and the secret files (no Docker needed)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=lib/tokens.sh
source "$ROOT/scripts/lib/tokens.sh"

say() { echo "compose-setup: $*" >&2; }
die() {
  say "$*"
  exit 1
}

prepare_only=0
case ${1:-} in
  '') ;;
  --prepare) prepare_only=1 ;;
  -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown option $1 (see --help)" ;;
esac

env_file=$ROOT/.env

# env_get KEY: the value of KEY in .env (empty when absent).
env_get() { sed -n "s/^$1=//p" "$env_file" | tail -n 1; }
# env_set KEY VALUE: replaces KEY's line in .env (or appends one); VALUE is written literally.
env_set() {
  local key=$1 value=$2 line found=0 tmp
  tmp=$(umask 077 && mktemp "$env_file.XXXXXX")
  while IFS= read -r line || [[ -n $line ]]; do
    if [[ $line == "$key="* ]]; then
      printf '%s=%s\n' "$key" "$value"
      found=1
    else
      printf '%s\n' "$line"
    fi
  done <"$env_file" >"$tmp"
  ((found)) || printf '%s=%s\n' "$key" "$value" >>"$tmp"
  mv "$tmp" "$env_file"
}

# 1. .env: private, because it holds the Grafana password and tokens.
if [[ ! -f $env_file ]]; then
  (umask 077 && cp "$ROOT/.env.example" "$env_file")
  say "created .env from .env.example"
fi
chmod 0600 "$env_file"
password=$(env_get GF_SECURITY_ADMIN_PASSWORD)
if [[ -z $password || $password == change-me ]]; then
  env_set GF_SECURITY_ADMIN_PASSWORD "$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
  say "generated a Grafana admin password: GF_SECURITY_ADMIN_PASSWORD in .env"
fi

# 2. Secret files. Their directory is private; the files are readable because the containers
# read them as their own users (Prometheus and Alertmanager run as nobody).
secrets_dir=$(env_get HYPERION_SECRETS_DIR)
secrets_dir=${secrets_dir:-./secrets}
[[ $secrets_dir == /* ]] || secrets_dir=$ROOT/${secrets_dir#./}
mkdir -p "$secrets_dir"
chmod 0700 "$secrets_dir"
for f in prometheus-token slack-webhook-url smtp-password webhook-token; do
  if [[ ! -e $secrets_dir/$f ]]; then
    : >"$secrets_dir/$f"
    chmod 0644 "$secrets_dir/$f"
  fi
done
empty=()
for f in slack-webhook-url smtp-password webhook-token; do
  [[ -s $secrets_dir/$f ]] || empty+=("$f")
done
((${#empty[@]} == 0)) || say "still empty in $secrets_dir: ${empty[*]} (notifications need them: alerting/README.md)"

if ((prepare_only)); then
  say "prepared .env and $secrets_dir"
  exit 0
fi

# 3. Docker Compose: the plugin (v2) or the standalone docker-compose (v1).
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  die "neither 'docker compose' nor 'docker-compose' is installed"
fi

if [[ ! -f $ROOT/grafana-plugin/dist/plugin.json ]]; then
  command -v npm >/dev/null 2>&1 || die "grafana-plugin/dist is not built and npm is missing: build the plugin on a machine with Node.js (npm ci && npm run build --workspace grafana-plugin)"
  say "building the Grafana plugin (npm run build --workspace grafana-plugin)"
  [[ -d $ROOT/node_modules ]] || npm ci --no-audit --no-fund
  npm run --silent build --workspace grafana-plugin >&2
fi

say "building and starting the exporter"
"${compose[@]}" up -d --build exporter
port=$(env_get HYPERION_PORT)
EXPORTER_URL="http://127.0.0.1:${port:-8470}"
for ((n = 0; n < 120; n++)); do
  [[ $(http_status "$EXPORTER_URL/") == 200 ]] && break
  sleep 0.5
done
[[ $(http_status "$EXPORTER_URL/") == 200 ]] || die "the exporter does not answer on $EXPORTER_URL: ${compose[*]} logs exporter"

# 4. Tokens, created inside the container (its data directory is the volume).
TOKEN_CLI=("${compose[@]}" exec -T exporter hyperion-exporter)
TOKEN_ARGS=()
TOKEN_FILE_MODE=0644 ensure_token compose-prometheus viewer plain "$secrets_dir/prometheus-token"
for role in viewer operator admin; do
  ensure_token "grafana-$role" "$role" grafana "$secrets_dir/grafana-$role-token"
  var=HYPERION_${role^^}_TOKEN
  env_set "$var" "$(<"$secrets_dir/grafana-$role-token")"
done

# 5. Everything else.
say "starting Prometheus, Alertmanager and Grafana"
"${compose[@]}" up -d
cat <<EOF
Hyperion is up:
  Grafana       http://localhost:$(env_get GRAFANA_PORT)/  (user $(env_get GF_SECURITY_ADMIN_USER), password in .env)
  Prometheus    http://127.0.0.1:$(env_get PROMETHEUS_PORT)/
  Alertmanager  http://127.0.0.1:$(env_get ALERTMANAGER_PORT)/
  exporter      $EXPORTER_URL/  (first admin token: ${compose[*]} exec exporter cat /var/lib/hyperion/admin-token)
EOF
