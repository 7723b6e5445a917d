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
command -v kamailio  >/dev/null || need+=(kamailio)
if [ ${#need[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "deps: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The tests run their own Kamailio on free ports; the package's service must
  # not start and take 5060 with the stock config. policy-rc.d is how Debian
  # lets an installer say "start no services" (exit 101).
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
  fi
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || echo "deps: apt-get failed; tests needing ${need[*]} will say SKIP (or fail with CI=true)"
  if [ -n "$own_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
  # ...and stays off at the next boot too.
  if command -v kamailio >/dev/null; then
    systemctl disable kamailio >/dev/null 2>&1 || update-rc.d kamailio disable >/dev/null 2>&1 || true
  fi
else
  echo "deps: not root on Debian; tests needing ${need[*]} will say SKIP (or fail with CI=true)"
fi
