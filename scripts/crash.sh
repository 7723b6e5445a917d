#!/usr/bin/env bash
# Kills a real frontdoor with SIGKILL under call load CRASH_KILLS times (default 30),
# restarting it each time, then checks the store against what the callers saw and
# proves SIGTERM drains. make test runs the same test with 4 kills.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
CRASH_KILLS=${CRASH_KILLS:-30} $GO test -count=1 -run '^TestKill9UnderLoadLosesNothing$' -v -timeout 30m ./cmd/frontdoor \
  | grep -E 'round|FIGURE|^(---|ok|FAIL|PASS)'
