#!/usr/bin/env bash
# Installs the interop tests' node dependencies (the OpenWallet Foundation
# sd-jwt-js packages, @openid4vc/openid4vp, @animo-id/mdoc, jose) exactly as
# locked in package-lock.json. package.json's overrides say why three
# transitive versions differ from what their dependents ask (docs/interop.md).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
  echo "interop setup: needs npm (Debian: apt-get install nodejs npm)" >&2
  exit 1
fi
npm ci --no-audit --no-fund --loglevel=error
