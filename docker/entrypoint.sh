#!/bin/sh
# Entrypoint of the database image: waits for the database, applies the migrations, then starts
# the gateway.
#
# The wait is bounded (DB_WAIT_SECONDS, 60 by default), with pg_isready where the image has it. If
# the database never answers, or a migration fails, it prints one clear line and exits non-zero:
# the gateway never serves on a half-migrated database. Several replicas may start at once:
# `tollgate migrate` serialises them on the database, so each either applies or finds them done.
# `docker stop` while it waits or migrates ends it at once (exit 0).
set -eu

if [ -z "${DATABASE_URL:-}" ]; then
  echo "entrypoint: DATABASE_URL is not set; this image migrates it before starting (use the default image to run without a database)" >&2
  exit 2
fi

# As PID 1, sh ignores SIGTERM unless it traps it; and it runs a trap only once the foreground
# command is done. So every command that may take a while runs in the background and is waited
# for: a signal then ends the wait, and the command, at once.
child=""
stopped() {
  if [ -n "$child" ]; then kill "$child" 2>/dev/null || true; fi
  echo "entrypoint: stopped before the gateway started" >&2
  exit 0
}
trap stopped TERM INT
run() { # run COMMAND...: its exit status
  "$@" &
  child=$!
  rc=0
  wait "$child" || rc=$?
  child=""
  return "$rc"
}

# libpq reads postgresql:// URLs; drop a jdbc: prefix and query parameters it does not know.
conninfo=$(printf '%s' "$DATABASE_URL" | sed -e 's/^jdbc://' -e 's/?.*$//')
host=$(printf '%s' "$conninfo" | sed -e 's#^.*@##' -e 's#/.*$##')
wait_seconds="${DB_WAIT_SECONDS:-60}"
deadline=$(( $(date +%s) + wait_seconds ))

# the line of the migration's output that names the error, else its last line
reason() { printf '%s\n' "$1" | grep -iE -m 1 'error|fail|unmatched|unknown|denied' || printf '%s\n' "$1" | grep -v '^[[:space:]]*$' | tail -n 1; }
out_file=$(mktemp 2>/dev/null || echo /tmp/entrypoint-migrate.$$)
migrate() { run tollgate migrate >"$out_file" 2>&1; }
pause() { run sleep 2; }

if command -v pg_isready >/dev/null 2>&1; then
  while :; do
    ready=0
    run pg_isready -q -t 3 -d "$conninfo" || ready=$?
    [ "$ready" -ne 0 ] || break
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "entrypoint: database not reachable after ${wait_seconds}s (DATABASE_URL host: $host), not starting the gateway" >&2
      exit 1
    fi
    pause
  done
  if ! migrate; then
    echo "entrypoint: migration failed, not starting the gateway: $(reason "$(cat "$out_file")")" >&2
    exit 1
  fi
else
  # no PostgreSQL client in this image (non-root, default): retry the migration itself, which
  # cannot tell an absent database from a failing migration, until the same deadline
  until migrate; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "entrypoint: migration failed or database not reachable after ${wait_seconds}s (DATABASE_URL host: $host), not starting the gateway: $(reason "$(cat "$out_file")")" >&2
      exit 1
    fi
    pause
  done
fi
rm -f "$out_file"
trap - TERM INT
echo "entrypoint: database migrated"

exec /app/docker/prod_entrypoint.sh "$@"
