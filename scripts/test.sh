#!/usr/bin/env bash
# make test: installs what the real-peer tests need, then runs every Go test.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
./scripts/deps.sh
if [ -x identity/interop/setup.sh ]; then identity/interop/setup.sh || echo "interop: npm setup failed"; fi
$GO vet ./...
# Build every binary first: tests exec them and nothing downloads later.
$GO build ./...
# -p 2: this is a 2-core machine; the SIP/RTP tests are real-time.
$GO test -count=1 -p 2 -timeout 20m ./... 2>&1 | tee /tmp/frontdoor-test.log
status=${PIPESTATUS[0]}
# A short run of every fuzz target keeps the parsers honest (longer: make fuzz).
FUZZTIME=${FUZZTIME:-5s} ./scripts/fuzz.sh || status=1
exit $status
