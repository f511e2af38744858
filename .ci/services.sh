#!/usr/bin/env bash
# Starts the services the integration suites use, if they are not running yet. Idempotent.
#  - PostgreSQL: the distribution's cluster on 127.0.0.1:5432 with a superuser role "tollgate"
#    (password "tollgate"); each test creates and drops its own database.
#  - Redis: tests start their own redis-server on free ports; nothing to do here.
set -euo pipefail

if command -v pg_lsclusters >/dev/null 2>&1; then
  read -r ver name _ < <(pg_lsclusters -h | head -n 1) || true
  if [ -z "${ver:-}" ]; then
    ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    name=main
    pg_createcluster "$ver" "$name" >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$ver" -v n="$name" '$1==v && $2==n {print $4}' | grep -q online; then
    pg_ctlcluster "$ver" "$name" start
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  runuser -u postgres -- psql -q -p 5432 -tAc "SELECT 1 FROM pg_roles WHERE rolname='tollgate'" | grep -q 1 \
    || runuser -u postgres -- psql -q -p 5432 -c "CREATE ROLE tollgate LOGIN SUPERUSER PASSWORD 'tollgate'"
  echo "CI: PostgreSQL $ver/$name ready on 127.0.0.1:5432"
fi
