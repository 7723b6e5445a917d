#!/usr/bin/env bash
# Installs the Debian packages the tests drive (real peers and tools) when we can:
# root on Debian. Elsewhere the tests that need them print "SKIP: needs <package>"
# (and fail instead when CI=true).
set -u
need=()
command -v sipp      >/dev/null || need+=(sip-tester)
command -v baresip   >/dev/null || need+=(baresip)
command -v svwar     >/dev/null || need+=(sipvicious)
command -v promtool  >/dev/null || need+=(prometheus)
command -v node      >/dev/null || need+=(nodejs npm)
command -v chromium  >/dev/null || need+=(chromium)
command -v unshare   >/dev/null || need+=(util-linux)
command -v ip        >/dev/null || need+=(iproute2)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || echo "deps: apt-get failed; tests needing ${need[*]} will say SKIP (or fail with CI=true)"
else
  echo "deps: not root on Debian; tests needing ${need[*]} will say SKIP (or fail with CI=true)"
fi
