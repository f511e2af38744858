#!/bin/bash
# Stand-in for the official postgres image's entrypoint (tests only): initialises PGDATA on the
# first start from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB, then runs postgres as PID 1.
set -euo pipefail
: "${POSTGRES_USER:=postgres}" "${POSTGRES_DB:=$POSTGRES_USER}" "${PGDATA:=/var/lib/postgresql/data}"
bin=$(echo /usr/lib/postgresql/*/bin)
mkdir -p "$PGDATA" /var/run/postgresql
chown -R postgres:postgres "$PGDATA" /var/run/postgresql
chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp); printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" > "$pwfile"; chown postgres "$pwfile"
  gosu postgres "$bin/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    echo "CREATE DATABASE \"$POSTGRES_DB\" OWNER \"$POSTGRES_USER\";" | gosu postgres "$bin/postgres" --single -D "$PGDATA" postgres >/dev/null
  fi
fi
if [ "${1:-postgres}" = postgres ]; then shift || true; exec gosu postgres "$bin/postgres" -D "$PGDATA" "$@"; fi
exec "$@"
