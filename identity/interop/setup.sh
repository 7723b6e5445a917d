#!/usr/bin/env bash
# Installs the interop test's node dependencies (the OpenWallet Foundation
# sd-jwt-js packages) exactly as locked in package-lock.json.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "interop setup: needs npm (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
