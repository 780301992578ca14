#!/usr/bin/env bash
# Marquee on N app processes behind nginx, on one private PostgreSQL, on this machine.
#
#   scripts/cluster.sh up [N] [--port 8080] [--run-dir .cluster]   # default N = 2
#   scripts/cluster.sh down [--run-dir .cluster]
#
# `up` starts PostgreSQL (in the run dir, as user postgres when run as root), ingests the
# catalog once (MARQUEE_IMDB_SOURCE / MARQUEE_MOVIELENS_SOURCE, or the tests' small fake world
# when unset) and trains the model into the shared models folder, starts N `streamlit run`
# processes on free ports with the same secrets (MARQUEE_COOKIE_KEY from the environment or a
# new random one), checks each one's /_stcore/health, then nginx (config generated into the
# run dir, not daemonized, its own pid and error log; no system config is touched).
# Needs nginx (Debian: apt-get install nginx-light) and the PostgreSQL server binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  if [ "${1:-}" = up ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing nginx-light ..."
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends nginx-light) >/dev/null 2>&1 || true
  fi
fi
exec "$PY" -m testkit.cluster "$@"
