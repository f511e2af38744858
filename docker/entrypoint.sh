#!/bin/sh
# Entrypoint of the database image: waits for the database, applies the migrations, then starts
# the gateway.
#
# The wait is bounded (DB_WAIT_SECONDS, 60 by default; pg_isready, which this image carries). If
# the database never answers, or a migration fails, it prints one clear line and exits non-zero:
# the gateway never serves on a half-migrated database. Several replicas may start at once:
# `tollgate migrate` serialises them on the database, so each either applies or finds them done.
set -eu

if [ -z "${DATABASE_URL:-}" ]; then
  echo "entrypoint: DATABASE_URL is not set; this image migrates it before starting (use the default image to run without a database)" >&2
  exit 2
fi

# libpq reads postgresql:// URLs; drop a jdbc: prefix and query parameters it does not know.
conninfo=$(printf '%s' "$DATABASE_URL" | sed -e 's/^jdbc://' -e 's/?.*$//')
wait_seconds="${DB_WAIT_SECONDS:-60}"
deadline=$(( $(date +%s) + wait_seconds ))
until pg_isready -q -t 3 -d "$conninfo"; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "entrypoint: database not reachable after ${wait_seconds}s (DATABASE_URL host: $(printf '%s' "$conninfo" | sed -e 's#^.*@##' -e 's#/.*$##')), not starting the gateway" >&2
    exit 1
  fi
  sleep 2
done

if ! out=$(tollgate migrate 2>&1); then
  # the line that names the error, else the last one
  reason=$(printf '%s\n' "$out" | grep -iE -m 1 'error|fail|unmatched|unknown|denied' || printf '%s\n' "$out" | grep -v '^[[:space:]]*$' | tail -n 1)
  echo "entrypoint: migration failed, not starting the gateway: $reason" >&2
  exit 1
fi
echo "entrypoint: database migrated"

exec /app/docker/prod_entrypoint.sh "$@"
