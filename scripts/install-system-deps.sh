#!/usr/bin/env bash
# Installs the Debian packages motcua and its tests need (Debian 12, also on
# a Raspberry Pi). Safe to run again: packages already installed are skipped,
# and nothing is fetched when nothing is missing.
#
#   bash scripts/install-system-deps.sh          (also run by npm run setup)
set -euo pipefail

# What each package is for; add new system dependencies here.
PACKAGES=(
  influxdb                      # hub tests and dev: InfluxDB 1.x (/usr/bin/influxd)
  victoria-metrics              # hub tests: InfluxDB line-protocol compatible store
  ffmpeg                        # camera probing and snapshots
  chromium                      # kiosk and dashboard UI tests (playwright-core); the hub prints PDF reports with it
  poppler-utils                 # report tests: pdftotext reads the PDF reports back
  onvif-tools                   # camera discovery checks (onvif-util)
  openssl                       # test certificates
  python3-gi                    # camera simulator (GStreamer RTSP server from Python)
  gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-tools
  gstreamer1.0-plugins-base
  gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly
  gstreamer1.0-libav
  iproute2                      # fault tests: ss, tc
  systemd                       # package tests: systemd-analyze verify and security on the units
  haproxy                       # several hubs behind the load balancer (deploy/haproxy/, tests/deploy/haproxy.test.ts)
)

# Debian starts these as system services on install; motcua runs its own
# instances on free ports, so a stray one on 8086/8428 only gets in the way.
SERVICES_TO_DISABLE=(influxdb victoria-metrics)

die() { echo "install-system-deps: $*" >&2; exit 1; }
say() { echo "install-system-deps: $*"; }

# Overridable so the refusal on other systems can be tested.
OS_RELEASE=${OS_RELEASE:-/etc/os-release}
[[ -r "$OS_RELEASE" ]] || die "cannot read $OS_RELEASE; this script supports Debian 12 only (install the packages listed in it by hand)"
# shellcheck disable=SC1090
. "$OS_RELEASE"
if [[ "${ID:-}" != debian && " ${ID_LIKE:-} " != *" debian "* ]]; then
  die "this is ${PRETTY_NAME:-an unknown system}, not Debian; install these packages with your package manager: ${PACKAGES[*]}"
fi
if [[ "${ID:-}" != debian || "${VERSION_ID:-}" != 12 ]]; then
  say "warning: tested on Debian 12, this is ${PRETTY_NAME:-unknown}; trying anyway"
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null || die "not root and sudo is not installed; run this script as root"
  SUDO=(sudo)
fi

installed() { [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]; }

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
  say "all ${#PACKAGES[@]} packages already installed"
else
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" apt-get install -y "${missing[@]}"
  for s in "${SERVICES_TO_DISABLE[@]}"; do
    # Only services this run installed: an operator's own InfluxDB is left alone.
    [[ " ${missing[*]} " == *" $s "* ]] || continue
    if [[ -d /run/systemd/system ]] && systemctl list-unit-files "$s.service" >/dev/null 2>&1; then
      "${SUDO[@]}" systemctl disable --now "$s.service" || say "warning: could not stop $s.service"
    elif [[ -x "/etc/init.d/$s" ]]; then
      "${SUDO[@]}" "/etc/init.d/$s" stop >/dev/null 2>&1 || true
    fi
  done
fi

# Node.js is not installed here: Debian 12 ships Node 18 and motcua needs 20+.
if ! command -v node >/dev/null; then
  say "warning: node is not installed; install Node.js 20 or later (e.g. from nodesource.com or with nvm)"
elif (($(node -p 'process.versions.node.split(".")[0]') < 20)); then
  say "warning: node $(node --version) is too old; motcua needs Node.js 20 or later"
fi
