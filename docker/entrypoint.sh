#!/bin/sh
# Entrypoint of the database image: waits for the database, applies the migrations, then starts
# the gateway.
#
# The wait is bounded (DB_WAIT_SECONDS, 60 by default), with pg_isready where the image has it. If
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
host=$(printf '%s' "$conninfo" | sed -e 's#^.*@##' -e 's#/.*$##')
wait_seconds="${DB_WAIT_SECONDS:-60}"
deadline=$(( $(date +%s) + wait_seconds ))

# the line of the migration's output that names the error, else its last line
reason() { printf '%s\n' "$1" | grep -iE -m 1 'error|fail|unmatched|unknown|denied' || printf '%s\n' "$1" | grep -v '^[[:space:]]*$' | tail -n 1; }

if command -v pg_isready >/dev/null 2>&1; then
  until pg_isready -q -t 3 -d "$conninfo"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "entrypoint: database not reachable after ${wait_seconds}s (DATABASE_URL host: $host), not starting the gateway" >&2
      exit 1
    fi
    sleep 2
  done
  if ! out=$(tollgate migrate 2>&1); then
    echo "entrypoint: migration failed, not starting the gateway: $(reason "$out")" >&2
    exit 1
  fi
else
  # no PostgreSQL client in this image (non-root, default): retry the migration itself, which
  # cannot tell an absent database from a failing migration, until the same deadline
  until out=$(tollgate migrate 2>&1); do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "entrypoint: migration failed or database not reachable after ${wait_seconds}s (DATABASE_URL host: $host), not starting the gateway: $(reason "$out")" >&2
      exit 1
    fi
    sleep 2
  done
fi
echo "entrypoint: database migrated"

exec /app/docker/prod_entrypoint.sh "$@"
