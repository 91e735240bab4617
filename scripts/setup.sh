#!/usr/bin/env bash
# npm run setup: everything a fresh Debian 12 machine with only Node and npm
# lacks — Debian packages (apt-get, sudo when not root) and the npm packages
# pinned in package-lock.json. Safe to run again; it skips what is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh </dev/null
npm ci --no-audit --no-fund
