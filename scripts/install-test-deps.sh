#!/usr/bin/env bash
# Installs the real programs Hyperion's tests run against:
# Prometheus and promtool, Alertmanager and amtool, node_exporter, sshd (and sudo, for SSH hosts
# in privilege mode sudo), nftables, iproute2, openssl (test certificates), python3-bcrypt,
# Chromium, wrk, hyperfine, docker-compose, systemd, util-linux. Idempotent: when every program
# is present it touches nothing and needs no network; otherwise it runs `apt-get update` once and
# installs only the missing Debian packages. Exits non-zero, saying what is missing, on failure.
set -euo pipefail

# program → Debian package that ships it. Programs are looked up on PATH and in the sbin
# directories, which a non-login root shell on CI may not have on its PATH.
PROGRAMS=(
  prometheus:prometheus
  promtool:prometheus
  prometheus-alertmanager:prometheus-alertmanager
  amtool:prometheus-alertmanager
  prometheus-node-exporter:prometheus-node-exporter
  sshd:openssh-server
  sudo:sudo
  ssh-keygen:openssh-client
  nft:nftables
  ip:iproute2
  chromium:chromium
  wrk:wrk
  hyperfine:hyperfine
  docker-compose:docker-compose
  systemd:systemd
  unshare:util-linux
  nsenter:util-linux
  df:coreutils
  openssl:openssl
)

# Python modules → Debian package, checked with Debian's own interpreter (/usr/bin/python3): a
# python3 earlier on PATH (pyenv, a virtualenv) does not see Debian's modules. The tests make
# bcrypt hashes with it, so that the exporter verifies hashes another implementation made.
PYTHON_MODULES=(
  bcrypt:python3-bcrypt
)
has_module() { [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c "import $1" >/dev/null 2>&1; }

have() {
  local found dir
  # bash's `command -v` also reports a file that is not executable: check the bit ourselves.
  found=$(command -v "$1" 2>/dev/null) && [[ -x $found ]] && return 0
  for dir in /usr/sbin /sbin /usr/bin /bin /lib/systemd /usr/lib/systemd; do
    [[ -x "$dir/$1" ]] && return 0
  done
  return 1
}

missing_programs=()
missing_packages=()
for entry in "${PROGRAMS[@]}"; do
  program=${entry%%:*}
  package=${entry#*:}
  if ! have "$program"; then
    missing_programs+=("$program")
    # one package may ship several missing programs: list it once
    [[ " ${missing_packages[*]-} " == *" $package "* ]] || missing_packages+=("$package")
  fi
done
missing_modules=()
for entry in "${PYTHON_MODULES[@]}"; do
  module=${entry%%:*}
  package=${entry#*:}
  if ! has_module "$module"; then
    missing_modules+=("$module")
    [[ " ${missing_packages[*]-} " == *" $package "* ]] || missing_packages+=("$package")
  fi
done

if ((${#missing_packages[@]} == 0)); then
  echo "install-test-deps: all ${#PROGRAMS[@]} programs and ${#PYTHON_MODULES[@]} Python modules present"
  exit 0
fi

echo "install-test-deps: missing ${missing_programs[*]-} ${missing_modules[*]-}; installing ${missing_packages[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: no apt-get here; install these Debian packages by hand: ${missing_packages[*]}" >&2
  exit 1
fi
SUDO=()
if [[ $(id -u) != 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-test-deps: not root and no sudo; install: ${missing_packages[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# Services in these packages must not start at install time (no systemd as PID 1, and tests
# start their own instances on their own ports): policy-rc.d exit 101 forbids it.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if ((created_policy)); then "${SUDO[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

if ! "${SUDO[@]}" apt-get update -qq; then
  echo "install-test-deps: apt-get update failed" >&2
  exit 1
fi
if ! "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing_packages[@]}"; then
  echo "install-test-deps: apt-get install ${missing_packages[*]} failed" >&2
  exit 1
fi

still_missing=()
for program in "${missing_programs[@]-}"; do
  [[ -z $program ]] || have "$program" || still_missing+=("$program")
done
for module in "${missing_modules[@]-}"; do
  [[ -z $module ]] || has_module "$module" || still_missing+=("python3 module $module")
done
if ((${#still_missing[@]} > 0)); then
  echo "install-test-deps: still missing after installing: ${still_missing[*]}" >&2
  exit 1
fi
echo "install-test-deps: installed ${missing_packages[*]}"
