#!/bin/sh
# Entrypoint of the database image: waits for the database, applies the migrations, then starts
# the gateway.
#
# The wait is bounded (DB_WAIT_SECONDS, 60 by default), with pg_isready where the image has it. If
# the database never answers, or a migration fails, it prints one clear line and exits non-zero:
# the gateway never serves on a half-migrated database. A DATABASE_URL that is not a PostgreSQL
# URL is refused at once (exit 2), as the gateway would refuse it. Several replicas may start at
# once: `tollgate migrate` serialises them on the database, so each either applies or finds them
# done. `docker stop` while it waits or migrates ends it at once (exit 0).
set -eu

usage="expected postgresql://user:password@host:port/database"
refuse() { echo "entrypoint: $*, not starting the gateway" >&2; exit 2; }

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

# DATABASE_URL as the gateway reads it: postgresql:// or postgres://, a jdbc: prefix allowed, the
# credentials in the user part or in the query string (?user=...&password=...)
url=${DATABASE_URL#jdbc:}
case "$url" in
  postgresql://*|postgres://*) ;;
  *://*) refuse "DATABASE_URL: scheme \"${url%%://*}\" is not supported ($usage)" ;;
  *) refuse "DATABASE_URL is not a URL ($usage)" ;;
esac
rest=${url#*://}
authority=${rest%%[/?]*}
host=${authority##*@}
case "$host" in ''|:*) refuse "DATABASE_URL has no host ($usage)" ;; esac
path_query=${rest#"$authority"}
path=${path_query%%\?*}
query=""
case "$path_query" in *\?*) query=${path_query#*\?} ;; esac
# libpq (pg_isready) refuses query parameters it does not know (the JDBC driver's, Prisma's):
# keep the ones it knows
kept=""
has_user=""
case "$authority" in *@*) has_user=yes ;; esac
set -f
old_ifs=$IFS
IFS='&'
for kv in $query; do
  case "$kv" in
    user=*) has_user=yes; kept="${kept:+$kept&}$kv" ;;
    password=*|sslmode=*|sslrootcert=*|sslcert=*|sslkey=*|connect_timeout=*|application_name=*|target_session_attrs=*|options=*)
      kept="${kept:+$kept&}$kv" ;;
  esac
done
IFS=$old_ifs
set +f
conninfo="postgresql://$authority$path${kept:+?$kept}"

wait_seconds="${DB_WAIT_SECONDS:-60}"
case "$wait_seconds" in ''|*[!0-9]*) refuse "DB_WAIT_SECONDS=\"$wait_seconds\" is not a number of seconds" ;; esac
deadline=$(( $(date +%s) + wait_seconds ))

# the line of the migration's output that names the error, else its last line
reason() { printf '%s\n' "$1" | grep -iE -m 1 'error|fail|unmatched|unknown|denied' || printf '%s\n' "$1" | grep -v '^[[:space:]]*$' | tail -n 1; }
out_file=$(mktemp 2>/dev/null || echo /tmp/entrypoint-migrate.$$)
migrate() { run tollgate migrate >"$out_file" 2>&1; }
pause() { run sleep 2; }

if command -v pg_isready >/dev/null 2>&1; then
  # a ping needs a user name, not a valid one: without one in the URL, libpq would look up the
  # container's user, which arbitrary UIDs do not have
  user_opt=""
  if [ -z "$has_user" ]; then user_opt="-U postgres"; fi
  while :; do
    ready=0
    # shellcheck disable=SC2086 # user_opt is empty or two words
    run pg_isready -q -t 3 $user_opt -d "$conninfo" || ready=$?
    case "$ready" in
      0) break ;;
      3) refuse "DATABASE_URL (host: $host) is not usable: pg_isready made no attempt to connect (check the URL's parameters)" ;;
    esac
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
