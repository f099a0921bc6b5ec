#!/usr/bin/env bash
# Builds the Debian package hyperion-exporter_<version>_<arch>.deb from this checkout.
#
#   packaging/deb/build.sh [--version-suffix +SUFFIX] [--out-dir DIR] [--no-compile]
#
#   --version-suffix +SUFFIX  appended to exporter/package.json's version (Debian and semver build
#                             metadata alike, e.g. +b2): a rebuild that upgrades the last one
#   --out-dir DIR             where the .deb goes (default: artifacts/deb)
#   --units DIR               the systemd units to ship (default: provisioning/systemd)
#   --no-compile              package exporter/dist as it is (npm run build already ran) instead of
#                             compiling the sources afresh (which never leaves a stale file behind)
#
# Prints the .deb's path as the last line of stdout; everything else goes to stderr.
#
# The only network this may use is npm's, for the exporter's production dependencies (from the
# lockfile; the npm cache usually has them). What goes where:
#   /usr/lib/hyperion/exporter/{package.json,dist/}   the compiled exporter
#   /usr/lib/hyperion/node_modules/                   its production dependencies, from the lockfile
#   /usr/lib/hyperion/hyperion-agent                  the file agent (exporter/agent/hyperion-agent.pl)
#   /usr/bin/hyperion-exporter                        the command (token, otp…)
#   /lib/systemd/system/                              every unit of provisioning/systemd/, with the
#                                                     release path and the conffile filled in
#   /etc/hyperion/hyperion.yml                        the configuration (conffile, every line a default)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/packaging/deb"

suffix=''
out_dir="$ROOT/artifacts/deb"
compile=1
units_dir="$ROOT/provisioning/systemd"
while (($#)); do
  case "$1" in
    --version-suffix) suffix="${2-}"; shift 2 ;;
    --version-suffix=*) suffix="${1#*=}"; shift ;;
    --out-dir) out_dir="${2-}"; shift 2 ;;
    --out-dir=*) out_dir="${1#*=}"; shift ;;
    --units) units_dir="${2-}"; shift 2 ;;
    --units=*) units_dir="${1#*=}"; shift ;;
    --no-compile) compile=0; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
# Build metadata only: "+" keeps the Debian version above the plain one and stays valid semver,
# which the exporter reports in hyperion_exporter_build_info.
if [[ -n $suffix && ! $suffix =~ ^\+[0-9A-Za-z.]+$ ]]; then
  echo "build.sh: --version-suffix must look like +b2 (a '+', then letters, digits and dots)" >&2
  exit 2
fi
for tool in dpkg-deb dpkg npm node; do
  command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing" >&2; exit 1; }
done

PACKAGE=hyperion-exporter
upstream="$(node -p "require('$ROOT/exporter/package.json').version")"
version="$upstream$suffix"
arch="$(dpkg --print-architecture)"
# The Node.js architecture name of the bcrypt prebuild the package keeps (others are dropped).
case "$arch" in
  amd64) node_arch=x64 ;;
  arm64) node_arch=arm64 ;;
  armhf) node_arch=arm ;;
  *) echo "build.sh: no bcrypt prebuild is known for $arch" >&2; exit 1 ;;
esac

work="$(mktemp -d "${TMPDIR:-/tmp}/hyperion-deb.XXXXXX")"
trap 'rm -rf "$work"' EXIT
pkg="$work/root"
lib="$pkg/usr/lib/hyperion"

dist="$ROOT/exporter/dist"
if ((compile)); then
  echo "build.sh: compiling the exporter" >&2
  dist="$work/dist"
  (cd "$ROOT/exporter" && npx --no-install tsc -p tsconfig.build.json --outDir "$dist" --sourceMap false >&2)
fi
[[ -f $dist/main.js ]] || { echo "build.sh: $dist/main.js is missing (npm run build)" >&2; exit 1; }

# Production dependencies exactly as the lockfile pins them, installed in a staging copy of the
# workspace manifests (the lockfile names every workspace, so each package.json must be there).
# --ignore-scripts: nothing is compiled; bcrypt loads its prebuilt binary.
echo "build.sh: installing production dependencies" >&2
stage="$work/stage"
mkdir -p "$stage"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$stage/"
for ws in exporter alerting grafana-plugin; do
  mkdir -p "$stage/$ws"
  cp "$ROOT/$ws/package.json" "$stage/$ws/"
done
(cd "$stage" && npm ci --workspace exporter --omit=dev --ignore-scripts --prefer-offline \
  --no-audit --no-fund --loglevel=error >&2)

install -d "$lib/exporter" "$pkg/usr/bin" "$pkg/lib/systemd/system" "$pkg/etc/hyperion" \
  "$pkg/DEBIAN" "$pkg/usr/share/doc/$PACKAGE"
cp -a "$stage/node_modules" "$lib/node_modules"
# The workspaces' own links (hyperion-exporter → ../exporter …) point into the staging copy.
find "$lib/node_modules" -maxdepth 2 -type l -lname '../*' ! -path '*/.bin/*' -delete
rm -f "$lib/node_modules/.package-lock.json"
if [[ -d $stage/exporter/node_modules ]]; then cp -a "$stage/exporter/node_modules" "$lib/exporter/"; fi
# bcrypt carries binaries for every platform; this package is for one.
if [[ -d $lib/node_modules/bcrypt/prebuilds ]]; then
  find "$lib/node_modules/bcrypt/prebuilds" -mindepth 1 -maxdepth 1 ! -name "linux-$node_arch" -exec rm -rf {} +
  [[ -d $lib/node_modules/bcrypt/prebuilds/linux-$node_arch ]] ||
    { echo "build.sh: bcrypt has no linux-$node_arch prebuild" >&2; exit 1; }
fi

cp -a "$dist" "$lib/exporter/dist"
# Source maps point at sources the package does not ship.
find "$lib/exporter/dist" -name '*.js.map' -delete
# The version the exporter reports (read from this file at start) is the package's.
node -e '
  const fs = require("fs");
  const [src, dest, version] = process.argv.slice(1);
  const manifest = JSON.parse(fs.readFileSync(src, "utf8"));
  manifest.version = version;
  delete manifest.devDependencies;
  delete manifest.scripts;
  fs.writeFileSync(dest, JSON.stringify(manifest, null, 2) + "\n");
' "$ROOT/exporter/package.json" "$lib/exporter/package.json" "$version"
chmod 0755 "$lib/exporter/dist/main.js"
ln -s ../lib/hyperion/exporter/dist/main.js "$pkg/usr/bin/hyperion-exporter"

# The agent: one copy, where the exporter looks for it (exporter/agent/, beside dist/) too.
install -m 0755 "$ROOT/exporter/agent/hyperion-agent.pl" "$lib/hyperion-agent"
install -d "$lib/exporter/agent"
ln -s ../../hyperion-agent "$lib/exporter/agent/hyperion-agent.pl"

install -m 0644 "$HERE/hyperion.yml" "$pkg/etc/hyperion/hyperion.yml"

# The units, whatever provisioning/systemd/ (--units) holds. They name the release as docs/operations.md
# installs it (npm under /opt/hyperion); the package's is under /usr/lib/hyperion, and its
# configuration is the conffile, which the exporter reads only when told (--config.file).
units=()
for unit in "$units_dir"/*; do
  name="$(basename "$unit")"
  case "$name" in *.service | *.socket | *.timer | *.path | *.target) ;; *) continue ;; esac
  sed -e 's#/opt/hyperion/lib/node_modules/hyperion-exporter/#/usr/lib/hyperion/exporter/#g' \
    "$unit" >"$pkg/lib/systemd/system/$name"
  chmod 0644 "$pkg/lib/systemd/system/$name"
  units+=("$name")
done
exporter_unit="$pkg/lib/systemd/system/$PACKAGE.service"
[[ -f $exporter_unit ]] || { echo "build.sh: $units_dir/$PACKAGE.service is missing" >&2; exit 1; }
# (Comments may mention the flag: only setting lines count.)
if ! grep -v '^[[:space:]]*#' "$exporter_unit" | grep -q -- '--config\.file='; then
  sed -i -e '/^[[:space:]]*#/!s#--storage\.path=/var/lib/hyperion#& --config.file=/etc/hyperion/hyperion.yml#' "$exporter_unit"
fi
grep -v '^[[:space:]]*#' "$exporter_unit" | grep -q -- '--config\.file=/etc/hyperion/hyperion\.yml' ||
  { echo "build.sh: could not point $PACKAGE.service's ExecStart at /etc/hyperion/hyperion.yml" >&2; exit 1; }
# Every program a unit starts must be in the package or be a Depends' (node): a unit that names
# a path the package does not ship fails here, not on a user's machine.
while read -r program; do
  [[ -e $pkg$program || $program == /usr/bin/node || -x $program ]] ||
    { echo "build.sh: a unit runs $program, which the package does not ship" >&2; exit 1; }
done < <(sed -n -E 's/^Exec[A-Za-z]*=[-@:+!]*([^ ]+).*/\1/p' "$pkg"/lib/systemd/system/*)
while read -r script; do
  [[ -e $pkg$script ]] || { echo "build.sh: a unit runs $script, which the package does not ship" >&2; exit 1; }
done < <(grep -h -o -E '/usr/lib/hyperion/[^ ]+' "$pkg"/lib/systemd/system/* | sort -u)

# Units enabled and started by postinst: those with an [Install] section, sockets first (what they
# activate must find them listening), templates never (their instances come from a socket).
enable=()
for name in $(printf '%s\n' "${units[@]}" | sort -t. -k2,2r); do
  [[ $name == *@* ]] && continue
  grep -q '^\[Install\]' "$pkg/lib/systemd/system/$name" && enable+=("$name")
done
# Units stopped on remove and upgrade: every one, a template as the pattern of its instances.
stop=()
for name in "${units[@]}"; do
  if [[ $name == *@.* ]]; then stop+=("${name/@./@*.}"); else stop+=("$name"); fi
done
for script in postinst prerm postrm; do
  sed -e "s#@STOP_UNITS@#${stop[*]}#g" -e "s#@ENABLED_UNITS@#${enable[*]}#g" "$HERE/$script" >"$pkg/DEBIAN/$script"
  chmod 0755 "$pkg/DEBIAN/$script"
done
echo /etc/hyperion/hyperion.yml >"$pkg/DEBIAN/conffiles"

cat >"$pkg/usr/share/doc/$PACKAGE/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: hyperion
License: Apache-2.0

Files: *
License: Apache-2.0
Comment: On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.
 The bundled Node.js modules under /usr/lib/hyperion/node_modules carry their own licences,
 each in its directory.
EOF

# Debian policy, where it is cheap: a changelog, no group- or world-writable file, md5sums for
# `dpkg --verify` (of every file but the conffiles, which dpkg checksums itself).
printf '%s (%s) unstable; urgency=medium\n\n  * Built from the Hyperion repository (packaging/deb/build.sh).\n\n -- %s  %s\n' \
  "$PACKAGE" "$version" 'Hyperion maintainers <hyperion@localhost>' "$(date -R)" |
  gzip -9n >"$pkg/usr/share/doc/$PACKAGE/changelog.gz"
chmod -R u+rwX,go+rX,go-w "$pkg"
(cd "$pkg" && find . \( -path ./DEBIAN -o -path ./etc \) -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$pkg/DEBIAN/md5sums" "$pkg/DEBIAN/conffiles"

installed_kib="$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)"
cat >"$pkg/DEBIAN/control" <<EOF
Package: $PACKAGE
Version: $version
Architecture: $arch
Maintainer: Hyperion maintainers <hyperion@localhost>
Section: admin
Priority: optional
Installed-Size: $installed_kib
Depends: nodejs (>= 20.17), adduser, init-system-helpers (>= 1.52), perl-base
Recommends: systemd, procps, iproute2, nftables
Homepage: https://github.com/hyperion/hyperion
Description: host metrics and actions for Prometheus and Grafana
 A Prometheus exporter (node_exporter's metrics and flags, port 8470) with a control API:
 processes, services, files, firewall blocks and jobs on this host or over SSH, every action
 authorised by a role, confirmed by a TOTP second factor and written to an audit log.
 .
 Runs as the systemd service hyperion-exporter; data in /var/lib/hyperion, configuration in
 /etc/hyperion/hyperion.yml. Needs Node.js 20.17 or later (NodeSource's nodejs package on
 Debian 12, whose own nodejs is 18).
EOF

mkdir -p "$out_dir"
deb="$out_dir/${PACKAGE}_${version}_${arch}.deb"
# gzip: a quarter of xz's time for a package that is mostly JavaScript, and every dpkg reads it.
dpkg-deb --root-owner-group -Zgzip --build "$pkg" "$deb" >&2
echo "$deb"
