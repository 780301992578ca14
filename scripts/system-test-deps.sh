#!/usr/bin/env bash
# Installs the system packages the browser, PostgreSQL and cluster (nginx) tests use, when we are allowed to.
# Never fails the build: without them those tests are skipped with a reason.
set -u
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
# nginx: the front of tests/cluster/ (several app processes); no service is started
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages for the tests: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || echo "warning: could not install ${need[*]}; their tests will be skipped"
else
  echo "note: ${need[*]} not installed (needs root + apt); browser/PostgreSQL tests will be skipped"
fi
exit 0
