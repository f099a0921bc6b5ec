#!/usr/bin/env bash
# The Hyperion stack without Docker: the exporter, Prometheus and Alertmanager — and Grafana when
# a grafana-server binary exists — from locally installed programs (Debian's prometheus and
# prometheus-alertmanager packages), configured from the same provisioning/ and alerting/ files
# docker-compose.yml mounts. Prints the URLs, runs in the foreground, and on Ctrl-C or SIGTERM
# stops everything it started. Logs and data live in the state directory.
#
#   scripts/stack.sh [options] [-- exporter flags]
#
#   --state-dir DIR          data, logs and rendered configuration
#                            (default ${XDG_STATE_HOME:-~/.local/state}/hyperion-stack)
#   --secrets-dir DIR        token and notification secret files (default STATE/secrets)
#   --listen HOST            address Prometheus, Alertmanager and Grafana bind (default 127.0.0.1)
#   --prometheus-port N      default 9090
#   --alertmanager-port N    default 9093
#   --grafana-port N         default 3000
#   --interval DURATION      scrape and rule evaluation interval instead of the configured 15s
#   --retention DURATION     Prometheus retention (default 30d)
#   --no-grafana             do not start Grafana even if it is installed
#   --no-build               run exporter/dist as it is (start.sh has just built it)
#   --from-source            run the exporter from its TypeScript sources (tsx), no build
#   --render-only            write the configuration into STATE/config, print its path, exit
#
# The exporter takes its own flags after `--`, e.g. -- --web.listen-address=127.0.0.1:8470
# (default: the exporter's own default, :8470; Prometheus scrapes it on loopback).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/tokens.sh
source "$ROOT/scripts/lib/tokens.sh"
# Bash 5.2 gives "&" a meaning in ${var//pattern/replacement}; paths are replaced literally here.
shopt -u patsub_replacement 2>/dev/null || true

say() { echo "stack: $*" >&2; }
die() {
  say "$*"
  exit 1
}

state_dir=${HYPERION_STACK_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/hyperion-stack}
secrets_dir=''
listen=127.0.0.1
prometheus_port=9090
alertmanager_port=9093
grafana_port=3000
interval=''
retention=30d
with_grafana=1
exporter_mode=build
render_only=0
exporter_args=()

need_value() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (see --help)"; }
while (($# > 0)); do
  case $1 in
    --state-dir) need_value "$@"; state_dir=$2; shift 2 ;;
    --secrets-dir) need_value "$@"; secrets_dir=$2; shift 2 ;;
    --listen) need_value "$@"; listen=$2; shift 2 ;;
    --prometheus-port) need_value "$@"; prometheus_port=$2; shift 2 ;;
    --alertmanager-port) need_value "$@"; alertmanager_port=$2; shift 2 ;;
    --grafana-port) need_value "$@"; grafana_port=$2; shift 2 ;;
    --interval) need_value "$@"; interval=$2; shift 2 ;;
    --retention) need_value "$@"; retention=$2; shift 2 ;;
    --no-grafana) with_grafana=0; shift ;;
    --no-build) exporter_mode=prebuilt; shift ;;
    --from-source) exporter_mode=source; shift ;;
    --render-only) render_only=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; exporter_args=("$@"); break ;;
    *) die "unknown option $1 (exporter flags go after --; see --help)" ;;
  esac
done
for port in "$prometheus_port" "$alertmanager_port" "$grafana_port"; do
  [[ $port =~ ^[0-9]+$ ]] && ((port > 0 && port < 65536)) || die "not a port: $port"
done
mkdir -p "$state_dir"
state_dir=$(cd "$state_dir" && pwd)
secrets_dir=${secrets_dir:-$state_dir/secrets}
mkdir -p "$secrets_dir" && chmod 0700 "$secrets_dir"
secrets_dir=$(cd "$secrets_dir" && pwd)

# ---------------------------------------------------------------------------------------------
# The exporter: where it listens (Prometheus must know) and where its data directory is.

flag_value() { # flag_value NAME: the value of --NAME=V or --NAME V among the exporter's flags
  local i
  for ((i = 0; i < ${#exporter_args[@]}; i++)); do
    case ${exporter_args[i]} in
      "--$1="*) echo "${exporter_args[i]#*=}"; return 0 ;;
      "--$1") echo "${exporter_args[i + 1]:-}"; return 0 ;;
    esac
  done
  return 1
}

listen_address=$(flag_value web.listen-address || echo ':8470')
if [[ $listen_address =~ ^(\[([^]]+)\]|([^:]*)):([0-9]+)$ ]]; then
  exporter_host=${BASH_REMATCH[2]:-${BASH_REMATCH[3]}}
  exporter_port=${BASH_REMATCH[4]}
else
  die "--web.listen-address=$listen_address is not host:port or :port"
fi
((exporter_port > 0)) || die "the exporter needs a fixed port in the stack (Prometheus scrapes it)"
case $exporter_host in
  '' | 0.0.0.0 | '::') exporter_host=127.0.0.1 ;; # listening everywhere: scrape on loopback
esac
[[ $exporter_host == *:* ]] && exporter_host="[$exporter_host]"
EXPORTER_URL="http://$exporter_host:$exporter_port"

if storage_path=$(flag_value storage.path); then
  TOKEN_ARGS=("--storage.path=$storage_path")
else
  # The exporter's own default (exporter/src/cli/flags.ts), so the token commands agree with it.
  if [[ $(id -u) == 0 ]]; then storage_path=/var/lib/hyperion; else storage_path=${XDG_STATE_HOME:-$HOME/.local/state}/hyperion; fi
  TOKEN_ARGS=()
fi

# ---------------------------------------------------------------------------------------------
# Configuration: the provisioning files with only their addresses and paths changed.

render() { # render SOURCE TARGET OLD NEW [OLD NEW]…: literal replacements, each one required
  local source=$1 target=$2 text
  text=$(<"$source")
  shift 2
  while (($# >= 2)); do
    [[ $text == *"$1"* ]] || die "$source no longer contains \"$1\": update scripts/stack.sh"
    text=${text//"$1"/"$2"}
    shift 2
  done
  printf '%s\n' "$text" >"$target"
}

config_dir=$state_dir/config
logs_dir=$state_dir/logs
mkdir -p "$config_dir" "$logs_dir" "$state_dir/prometheus" "$state_dir/alertmanager"
mkdir -p "$secrets_dir/prometheus" "$secrets_dir/alertmanager"

prometheus_url="http://$listen:$prometheus_port"
alertmanager_url="http://$listen:$alertmanager_port"
[[ $listen == *:* ]] && prometheus_url="http://[$listen]:$prometheus_port" && alertmanager_url="http://[$listen]:$alertmanager_port"
host_port() { local url=${1#http://}; echo "${url%/}"; }

prometheus_replacements=(
  host.docker.internal:8470 "$exporter_host:$exporter_port"
  prometheus:9090 "$(host_port "$prometheus_url")"
  alertmanager:9093 "$(host_port "$alertmanager_url")"
  /etc/hyperion/alerting/ "$ROOT/alerting/"
  /etc/prometheus/secrets/ "$secrets_dir/prometheus/"
)
if [[ -n $interval ]]; then
  prometheus_replacements+=('scrape_interval: 15s' "scrape_interval: $interval")
  prometheus_replacements+=('evaluation_interval: 15s' "evaluation_interval: $interval")
  # A scrape may not take longer than its interval.
  prometheus_replacements+=('scrape_timeout: 10s' "scrape_timeout: $interval")
fi
render "$ROOT/provisioning/prometheus/prometheus.yml" "$config_dir/prometheus.yml" "${prometheus_replacements[@]}"
render "$ROOT/alerting/alertmanager.yml" "$config_dir/alertmanager.yml" \
  /etc/alertmanager/secrets/ "$secrets_dir/alertmanager/"
# alertmanager.yml names its templates relative to itself.
ln -sfn "$ROOT/alerting/templates" "$config_dir/templates"

missing_secrets=()
for f in slack-webhook-url smtp-password webhook-token; do
  [[ -s $secrets_dir/alertmanager/$f ]] || missing_secrets+=("$f")
done

if ((render_only)); then
  echo "$config_dir"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# Programs: looked up on PATH and in the sbin directories a non-login root shell may lack.

find_program() {
  local name dir
  for name in "$@"; do
    if command -v "$name" >/dev/null 2>&1; then
      command -v "$name"
      return 0
    fi
    for dir in /usr/sbin /sbin /usr/bin /usr/local/bin /usr/local/sbin; do
      [[ -x $dir/$name ]] && { echo "$dir/$name"; return 0; }
    done
  done
  return 1
}

prometheus_bin=${PROMETHEUS_BIN:-$(find_program prometheus || true)}
alertmanager_bin=${ALERTMANAGER_BIN:-$(find_program prometheus-alertmanager alertmanager || true)}
grafana_bin=${GRAFANA_BIN:-$(find_program grafana-server || true)}
[[ -n $prometheus_bin ]] || die "no prometheus binary (Debian: apt-get install prometheus)"
[[ -n $alertmanager_bin ]] || die "no alertmanager binary (Debian: apt-get install prometheus-alertmanager)"
command -v node >/dev/null 2>&1 || die "node is not installed (Node.js >= 20.17 is required)"

case $exporter_mode in
  source)
    # An absolute path to tsx's loader: `--import tsx` would resolve from the caller's directory.
    tsx_loader=$ROOT/node_modules/tsx/dist/loader.mjs
    [[ -f $tsx_loader ]] || die "$tsx_loader is missing: run npm ci"
    TOKEN_CLI=(node --import "$tsx_loader" "$ROOT/exporter/src/main.ts")
    ;;
  *)
    main_js=$ROOT/exporter/dist/main.js
    if [[ $exporter_mode == build ]] &&
      [[ ! -f $main_js || -n $(find "$ROOT/exporter/src" -newer "$main_js" -print -quit) ]]; then
      say "building the exporter (npm run build --workspace exporter)"
      (cd "$ROOT" && npm run --silent build --workspace exporter >&2) || die "the exporter does not build"
    fi
    [[ -f $main_js ]] || die "$main_js is missing: build it (npm run build --workspace exporter)"
    [[ -x $main_js ]] || chmod 0755 "$main_js"
    # The file itself: its first line carries the V8 flags (see exporter/src/main.ts).
    TOKEN_CLI=("$main_js")
    ;;
esac

# Started as root, the exporter runs as the system user "hyperion" (its agent stays root): made
# once, as scripts/start.sh does, unless the flags name another user.
if [[ $(id -u) == 0 ]] && ! flag_value user >/dev/null && ! id -u hyperion >/dev/null 2>&1; then
  say "creating the system user hyperion (the exporter runs as it; its agent stays root)"
  useradd --system --no-create-home --home-dir /var/lib/hyperion --shell /usr/sbin/nologin hyperion
fi

# ---------------------------------------------------------------------------------------------
# Processes: started in order, each waited for; all stopped on the way out, whatever happens.

names=()
pids=()

stop_all() {
  local i pid n
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill -TERM "${pids[i]}" 2>/dev/null || true
  done
  # Bounded: 15 s for everyone together, then SIGKILL for whoever is left.
  for ((n = 0; n < 150; n++)); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for ((i = 0; i < ${#pids[@]}; i++)); do
    if kill -0 "${pids[i]}" 2>/dev/null; then
      say "${names[i]} did not stop within 15 s: killing it"
      kill -KILL "${pids[i]}" 2>/dev/null || true
    fi
  done
  wait 2>/dev/null || true
}

stopping=0
shutdown() {
  ((stopping)) && return
  stopping=1
  trap - INT TERM
  if ((${#pids[@]} > 0)); then
    say "stopping ${names[*]}"
    stop_all
    say "stopped"
  fi
}
trap 'shutdown; exit 130' INT
trap 'shutdown; exit 143' TERM
trap 'shutdown' EXIT

# start NAME READY_URL TIMEOUT_S COMMAND…: runs it in the background, logging to logs/NAME.log,
# and waits until READY_URL answers 200.
start() {
  local name=$1 url=$2 timeout=$3 log="$logs_dir/$1.log" n
  shift 3
  : >"$log"
  # Same process group as the stack: whoever kills the group (a terminal, a test runner) kills
  # them all even if the stack itself is gone.
  "$@" >>"$log" 2>&1 </dev/null &
  pids+=("$!")
  names+=("$name")
  for ((n = 0; n < timeout * 4; n++)); do
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then
      say "$name exited before it was ready; the end of $log:"
      tail -n 20 "$log" >&2
      exit 1
    fi
    [[ $(http_status "$url") == 200 ]] && return 0
    sleep 0.25
  done
  say "$name was not ready within $timeout s; the end of $log:"
  tail -n 20 "$log" >&2
  exit 1
}

startup_timeout=${HYPERION_STACK_START_TIMEOUT:-90}

start exporter "$EXPORTER_URL/" "$startup_timeout" "${TOKEN_CLI[@]}" "${exporter_args[@]}"

# Tokens, after the exporter's first start (which creates the admin token when there is none).
# Prometheus' viewer token (0600): its discovery of SSH hosts and its /probe scrapes send it.
ensure_token stack-prometheus viewer plain "$secrets_dir/prometheus/hyperion-token" ||
  die "no token for Prometheus' discovery and probes of SSH hosts"

start alertmanager "$alertmanager_url/-/ready" "$startup_timeout" "$alertmanager_bin" \
  --config.file="$config_dir/alertmanager.yml" \
  --storage.path="$state_dir/alertmanager" \
  --web.listen-address="$(host_port "$alertmanager_url")" \
  --web.external-url="$alertmanager_url/" \
  --cluster.listen-address=

start prometheus "$prometheus_url/-/ready" "$startup_timeout" "$prometheus_bin" \
  --config.file="$config_dir/prometheus.yml" \
  --storage.tsdb.path="$state_dir/prometheus" \
  --storage.tsdb.retention.time="$retention" \
  --web.listen-address="$(host_port "$prometheus_url")" \
  --web.external-url="$prometheus_url/"

grafana_note=''
if ((with_grafana)) && [[ -n $grafana_bin ]]; then
  grafana_home=${GRAFANA_HOME:-/usr/share/grafana}
  mkdir -p "$state_dir/grafana/plugins"
  plugin_dist=$ROOT/grafana-plugin/dist
  if [[ -f $plugin_dist/plugin.json ]]; then
    ln -sfn "$plugin_dist" "$state_dir/grafana/plugins/hyperion-app"
  else
    say "grafana-plugin/dist is not built (npm run build --workspace grafana-plugin): Grafana starts without the app"
  fi
  for role in viewer operator admin; do
    ensure_token "stack-grafana-$role" "$role" grafana "$secrets_dir/grafana/$role-token" ||
      die "no $role token for Grafana"
  done
  grafana_url="http://$listen:$grafana_port"
  HYPERION_PROMETHEUS_URL=$prometheus_url \
    HYPERION_ALERTMANAGER_URL=$alertmanager_url \
    HYPERION_EXPORTER_URL=$EXPORTER_URL \
    HYPERION_VIEWER_TOKEN=$(<"$secrets_dir/grafana/viewer-token") \
    HYPERION_OPERATOR_TOKEN=$(<"$secrets_dir/grafana/operator-token") \
    HYPERION_ADMIN_TOKEN=$(<"$secrets_dir/grafana/admin-token") \
    GF_PATHS_DATA=$state_dir/grafana/data \
    GF_PATHS_LOGS=$state_dir/grafana/logs \
    GF_PATHS_PLUGINS=$state_dir/grafana/plugins \
    GF_PATHS_PROVISIONING=$ROOT/provisioning/grafana \
    GF_SERVER_HTTP_ADDR=$listen \
    GF_SERVER_HTTP_PORT=$grafana_port \
    GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS=hyperion-app \
    GF_ANALYTICS_REPORTING_ENABLED=false \
    GF_ANALYTICS_CHECK_FOR_UPDATES=false \
    start grafana "$grafana_url/api/health" "$startup_timeout" "$grafana_bin" --homepath "$grafana_home"
  grafana_note="$grafana_url/  (first login admin/admin)"
elif ((with_grafana)); then
  grafana_note='not started: no grafana-server binary (docker-compose.yml runs Grafana)'
else
  grafana_note='not started (--no-grafana)'
fi

admin_token_note=''
[[ -f $storage_path/admin-token ]] && admin_token_note="  admin token: $storage_path/admin-token"
cat <<EOF
Hyperion stack is up — Ctrl-C stops everything.
  exporter      $EXPORTER_URL/  (metrics /metrics, API /api/v1)$admin_token_note
  prometheus    $prometheus_url/
  alertmanager  $alertmanager_url/
  grafana       $grafana_note
  state         $state_dir  (logs in logs/)
EOF
if ((${#missing_secrets[@]} > 0)); then
  say "notifications: put ${missing_secrets[*]} in $secrets_dir/alertmanager/ (alerting/README.md)"
fi

# Until a signal arrives or a program dies on its own.
while :; do
  status=0
  wait -n "${pids[@]}" || status=$?
  for ((i = 0; i < ${#pids[@]}; i++)); do
    if ! kill -0 "${pids[i]}" 2>/dev/null; then
      say "${names[i]} exited (status $status); the end of $logs_dir/${names[i]}.log:"
      tail -n 20 "$logs_dir/${names[i]}.log" >&2
      exit 1
    fi
  done
done
