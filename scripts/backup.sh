#!/usr/bin/env bash
# Backs up and restores the compose stack's data: PostgreSQL (keys, teams, spend), Redis and the
# configuration files. Works while the stack runs. Credentials, hosts and ports are never written
# here: the dump runs inside the db container with the container's own environment.
#
#   scripts/backup.sh [-p NAME] [-f FILE]... [--env-file FILE] COMMAND ...
#                                           (compose's own options: which project, files, env file)
#   scripts/backup.sh backup [--with-env]   new timestamped backup in $BACKUP_DIR, `latest` link,
#                                           then retention (the new backup is never deleted)
#   scripts/backup.sh list                  backups, newest first
#   scripts/backup.sh verify [NAME|latest]  checksums, and the whole dump read back by pg_restore
#   scripts/backup.sh restore [NAME|latest] [--yes]
#                                           verifies first; stops the gateway and exporter, restores
#                                           PostgreSQL (into a new database that replaces the live one
#                                           only once complete) and Redis, restarts, compares row counts;
#                                           uses the compose files the project was started with
#
# Settings (environment or .env in the project root): BACKUP_DIR (./backups), BACKUP_KEEP_DAILY (7),
# BACKUP_KEEP_WEEKLY (4), BACKUP_KEEP_MONTHLY (6), BACKUP_MIN_FREE_MB (200), BACKUP_PASSPHRASE
# (encrypts .env with --with-env), TOLLGATE_CONFIG. COMPOSE_FILE and COMPOSE_PROJECT_NAME are
# honoured as by docker compose itself; -p/-f/--env-file before the command take precedence.
# The commands in single quotes run inside the containers and expand the containers' variables there.
# shellcheck disable=SC2016
set -euo pipefail

die() { echo "backup: $*" >&2; exit 1; }
say() { echo "backup: $*"; }

# compose's options before the command, with absolute paths (the script runs from the project root)
abs() { (cd "$(dirname "$1")" 2>/dev/null && printf '%s/%s' "$(pwd)" "$(basename "$1")") || die "no such file: $1"; }
compose_args=()
given_project="" given_files=() env_file=.env
while [ $# -gt 0 ]; do
  case "$1" in
    -p|--project-name) [ $# -ge 2 ] || die "$1 needs a value"; given_project=$2; compose_args+=(-p "$2"); shift 2 ;;
    -f|--file) [ $# -ge 2 ] || die "$1 needs a value"; given_files+=("$(abs "$2")"); compose_args+=(-f "${given_files[-1]}"); shift 2 ;;
    --env-file) [ $# -ge 2 ] || die "$1 needs a value"; env_file=$(abs "$2"); compose_args+=(--env-file "$env_file"); shift 2 ;;
    *) break ;;
  esac
done

project_dir=${TOLLGATE_PROJECT_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$project_dir"

# A variable from the environment, else from the env file (.env), else the default.
setting() {
  local name=$1 default=${2:-} value
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; return; fi
  if [ -f "$env_file" ]; then
    value=$(sed -n "s/^${name}=//p" "$env_file" | tail -n 1)
    value=${value%\"}; value=${value#\"}
    if [ -n "$value" ]; then printf '%s' "$value"; return; fi
  fi
  printf '%s' "$default"
}

compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "${compose_args[@]}" "$@"; else docker-compose "${compose_args[@]}" "$@"; fi
}

# the project's name as compose works it out (for the labels of its containers)
project_name() {
  local p=${given_project:-$(setting COMPOSE_PROJECT_NAME)}
  [ -n "$p" ] || p=$(basename "$project_dir")
  printf '%s' "$p" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-'
}

# The compose files the project's containers were started with, comma separated absolute paths
# (their config_files label, relative to their working_dir label with docker-compose v1), empty
# when it has no container.
running_files() {
  local labels dir f out=() files=()
  labels=$(docker ps -a --filter "label=com.docker.compose.project=$(project_name)" \
    --format '{{.Label "com.docker.compose.project.working_dir"}}|{{.Label "com.docker.compose.project.config_files"}}' 2>/dev/null \
    | grep -v '|$' | head -n 1)
  [ -n "$labels" ] || return 0
  dir=${labels%%|*}
  IFS=, read -r -a files <<< "${labels#*|}"
  for f in "${files[@]}"; do
    case "$f" in /*) out+=("$f") ;; *) out+=("${dir:-$project_dir}/$f") ;; esac
  done
  (IFS=,; printf '%s' "${out[*]}")
}

backup_dir=$(setting BACKUP_DIR ./backups)

# Runs a shell command inside a service's container, with that container's environment.
in_db() { compose exec -T db sh -c "$1"; }
in_redis() { compose exec -T redis sh -c "$1"; }

row_counts() {
  in_db 'psql -X -q -t -A -F " " -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "
    SELECT table_schema || '\''.'\'' || table_name,
           (xpath('\''/row/c/text()'\'', query_to_xml(format('\''SELECT count(*) AS c FROM %I.%I'\'', table_schema, table_name), false, true, '\'''\'')))[1]::text
      FROM information_schema.tables
     WHERE table_type = '\''BASE TABLE'\'' AND table_schema NOT IN ('\''pg_catalog'\'', '\''information_schema'\'')
     ORDER BY 1"'
}

# "schema.table rows" for each COPY block of a plain-text restore script on stdin
dump_row_counts() {
  awk '/^COPY /{t=$2; n=0; inside=1; next} inside && $0 == "\\." {print t, n; inside=0; next} inside {n++}' | sort
}

wait_healthy() { # wait_healthy SERVICE CHECK-COMMAND
  local service=$1 check=$2
  for _ in $(seq 60); do
    if compose exec -T "$service" sh -c "$check" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  die "$service did not become ready within 60 s"
}

resolve() { # resolve NAME|latest -> directory
  local name=${1:-latest} dir
  dir="$backup_dir/$name"
  [ -d "$dir" ] || die "no backup named $name in $backup_dir (scripts/backup.sh list)"
  (cd "$dir" && pwd -P)
}

cmd_backup() {
  local with_env=false
  for a in "$@"; do
    case "$a" in
      --with-env) with_env=true ;;
      *) die "backup: unknown option $a" ;;
    esac
  done
  compose ps --services --filter status=running 2>/dev/null | grep -x db >/dev/null || die "the db service is not running (docker compose up -d db)"
  mkdir -p "$backup_dir"

  # free-disk guard: the database's size (an upper bound of its compressed dump) plus a margin
  local db_bytes free_kb min_mb need_kb
  db_bytes=$(in_db 'psql -X -t -A -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "SELECT pg_database_size(current_database())"' | tr -d '[:space:]')
  min_mb=$(setting BACKUP_MIN_FREE_MB 200)
  need_kb=$(( db_bytes / 1024 + min_mb * 1024 ))
  free_kb=$(df -Pk "$backup_dir" | awk 'NR==2 {print $4}')
  [ "$free_kb" -ge "$need_kb" ] || die "not enough free disk in $backup_dir: ${free_kb} KiB free, ${need_kb} KiB needed"

  local name dir tmp
  name=$(date -u +%Y%m%dT%H%M%SZ)
  dir="$backup_dir/$name"
  [ ! -e "$dir" ] || { sleep 1; name=$(date -u +%Y%m%dT%H%M%SZ); dir="$backup_dir/$name"; }
  tmp="$backup_dir/.$name.partial"
  rm -rf "$tmp"; mkdir -p "$tmp"; chmod 700 "$tmp"
  trap 'rm -rf "$tmp"' EXIT

  say "dumping PostgreSQL"
  in_db 'pg_dump -Fc -Z 6 -U "$POSTGRES_USER" -d "$POSTGRES_DB"' > "$tmp/postgres.dump"
  in_db 'pg_restore -f /dev/null' < "$tmp/postgres.dump" || die "the dump does not read back; nothing was kept"
  # counted in the dump itself: a count taken after it would include rows the gateway wrote in
  # between, which no restore of this dump can bring back
  in_db 'pg_restore --data-only -f -' < "$tmp/postgres.dump" | dump_row_counts > "$tmp/rowcounts.txt"

  if compose ps --services --filter status=running 2>/dev/null | grep -x redis >/dev/null; then
    say "snapshotting Redis"
    in_redis 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning SAVE' > /dev/null
    in_redis 'cat /data/dump.rdb' > "$tmp/redis.rdb"
    [ "$(head -c 5 "$tmp/redis.rdb")" = REDIS ] || die "the Redis snapshot is not an RDB file"
  fi

  say "saving configuration"
  local config files=()
  config=$(setting TOLLGATE_CONFIG ./docker/config.yaml)
  for f in "$config" docker-compose.yml docker-compose.hardened.yml prometheus.yml grafana docker/proxy/allow; do
    [ -e "$f" ] && files+=("$f")
  done
  tar -czf "$tmp/config.tar.gz" "${files[@]}"
  if $with_env && [ -f .env ]; then
    local passphrase
    passphrase=$(setting BACKUP_PASSPHRASE)
    if [ -n "$passphrase" ] && command -v openssl >/dev/null; then
      BACKUP_PASSPHRASE=$passphrase openssl enc -aes-256-cbc -pbkdf2 -salt -pass env:BACKUP_PASSPHRASE -in .env -out "$tmp/env.enc"
      say ".env saved encrypted (openssl enc -d -aes-256-cbc -pbkdf2 -pass env:BACKUP_PASSPHRASE -in env.enc)"
    else
      cp .env "$tmp/env"; chmod 600 "$tmp/env"
      echo "backup: WARNING: .env (master key, salt key, passwords) is stored UNENCRYPTED; set BACKUP_PASSPHRASE to encrypt it" >&2
    fi
  fi

  {
    echo "created=$name"
    echo "project=$(project_name)"
    echo "compose_files=$(running_files)"
    echo "postgres_server=$(in_db 'psql -X -t -A -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "SHOW server_version"' | tr -d '[:space:]')"
    echo "database_bytes=$db_bytes"
    echo "tables=$(wc -l < "$tmp/rowcounts.txt" | tr -d ' ')"
    echo "files=$(find "$tmp" -mindepth 1 -maxdepth 1 -printf '%f ')"
  } > "$tmp/MANIFEST"
  (cd "$tmp" && sha256sum -- * > SHA256SUMS)
  mv "$tmp" "$dir"
  trap - EXIT
  ln -sfn "$name" "$backup_dir/latest"
  say "backup $name written to $dir ($(du -sh "$dir" | cut -f1))"
  retention "$name"
}

# Keeps every backup of the last 24 hours (the one just made among them), and the newest backup of
# each of the last N days, weeks and months.
retention() {
  local keep=$1 daily weekly monthly name d w m recent
  daily=$(setting BACKUP_KEEP_DAILY 7); weekly=$(setting BACKUP_KEEP_WEEKLY 4); monthly=$(setting BACKUP_KEEP_MONTHLY 6)
  recent=$(date -u -d '-24 hours' +%Y%m%dT%H%M%SZ)
  declare -A seen_d=() seen_w=() seen_m=() kept=([$keep]=1)
  while read -r name; do
    if [[ "$name" > "$recent" ]]; then kept[$name]=1; fi
    d=${name:0:8}
    w=$(date -u -d "${name:0:4}-${name:4:2}-${name:6:2}" +%G%V)
    m=${name:0:6}
    if [ -z "${seen_d[$d]:-}" ] && [ ${#seen_d[@]} -lt "$daily" ]; then seen_d[$d]=1; kept[$name]=1; fi
    if [ -z "${seen_w[$w]:-}" ] && [ ${#seen_w[@]} -lt "$weekly" ]; then seen_w[$w]=1; kept[$name]=1; fi
    if [ -z "${seen_m[$m]:-}" ] && [ ${#seen_m[@]} -lt "$monthly" ]; then seen_m[$m]=1; kept[$name]=1; fi
  done < <(list_names)
  while read -r name; do
    if [ -z "${kept[$name]:-}" ]; then
      say "retention: removing $name"
      rm -rf "${backup_dir:?}/$name"
    fi
  done < <(list_names)
}

list_names() {
  [ -d "$backup_dir" ] || return 0
  find "$backup_dir" -mindepth 1 -maxdepth 1 -type d -name '[0-9]*T*Z' -printf '%f\n' | sort -r
}

cmd_list() {
  local name
  while read -r name; do
    printf '%s  %6s  %s\n' "$name" "$(du -sh "$backup_dir/$name" | cut -f1)" "$(sed -n 's/^tables=/tables: /p' "$backup_dir/$name/MANIFEST" 2>/dev/null)"
  done < <(list_names)
}

verify_dir() {
  local dir=$1
  (cd "$dir" && sha256sum --quiet -c SHA256SUMS) || die "checksums do not match in $dir"
  gzip -t "$dir/config.tar.gz" || die "config.tar.gz is damaged in $dir"
  if [ -f "$dir/redis.rdb" ] && [ "$(head -c 5 "$dir/redis.rdb")" != REDIS ]; then die "redis.rdb is not an RDB file"; fi
  # the whole archive, every table's data included (a table of contents alone reads fine from a
  # truncated dump)
  if compose ps --services --filter status=running 2>/dev/null | grep -x db >/dev/null; then
    in_db 'pg_restore -f /dev/null' < "$dir/postgres.dump" || die "postgres.dump in $dir does not read back to its end: damaged or truncated; use another backup (scripts/backup.sh list)"
  elif command -v pg_restore >/dev/null; then
    pg_restore -f /dev/null "$dir/postgres.dump" || die "postgres.dump in $dir does not read back to its end: damaged or truncated; use another backup (scripts/backup.sh list)"
  else
    echo "backup: WARNING: the db service is not running and there is no local pg_restore: postgres.dump was only checksummed" >&2
  fi
}

cmd_verify() {
  local dir
  dir=$(resolve "${1:-latest}")
  verify_dir "$dir"
  say "$(basename "$dir") is intact"
}

cmd_restore() {
  local name=latest yes=false dir a
  for a in "$@"; do
    case "$a" in
      --yes) yes=true ;;
      -*) die "restore: unknown option $a" ;;
      *) name=$a ;;
    esac
  done
  dir=$(resolve "$name")
  if ! $yes; then
    [ -t 0 ] || die "restore replaces the database and Redis; run it from a terminal or add --yes"
    read -r -p "Replace the database and Redis with backup $(basename "$dir")? Type 'restore' to go on: " answer
    [ "$answer" = restore ] || die "not restored"
  fi

  # db and redis are (re)created with the compose files the project runs with: without them
  # (COMPOSE_FILE not exported, say), `up -d` would recreate them from docker-compose.yml alone and
  # silently drop the hardened override
  local started_with
  started_with=$(running_files)
  if [ -n "$started_with" ]; then
    local f label_args=()
    IFS=, read -r -a label_files <<< "$started_with"
    for f in "${label_files[@]}"; do
      [ -f "$f" ] || die "project $(project_name) was started with $started_with, but $f is missing; restore it or pass the files with -f"
      label_args+=(-f "$f")
    done
    if [ ${#given_files[@]} -gt 0 ]; then
      [ "$(IFS=,; echo "${given_files[*]}")" = "$started_with" ] \
        || die "project $(project_name) runs with $started_with; restore with the same files (or without -f)"
    else
      compose_args+=("${label_args[@]}")
    fi
  elif [ ${#given_files[@]} -eq 0 ] && [ -z "$(setting COMPOSE_FILE)" ]; then
    started_with=$(sed -n 's/^compose_files=//p' "$dir/MANIFEST")
    [ -n "$started_with" ] || die "project $(project_name) has no containers, so the compose files it runs with are unknown: set COMPOSE_FILE (e.g. docker-compose.yml:docker-compose.hardened.yml) or pass -f for each file"
    IFS=, read -r -a label_files <<< "$started_with"
    for f in "${label_files[@]}"; do
      [ -f "$f" ] || die "the backup was taken of a project started with $started_with, but $f is missing: set COMPOSE_FILE or pass -f for each file"
      compose_args+=(-f "$f")
    done
    say "project $(project_name) has no containers: using the compose files it was backed up with ($started_with)"
  fi

  # read the whole backup before anything is stopped or dropped
  say "starting db and redis"
  compose up -d db redis >/dev/null 2>&1
  wait_healthy db 'pg_isready -q -U "$POSTGRES_USER"'
  verify_dir "$dir"

  say "stopping the gateway and the exporter"
  compose stop tollgate metrics-exporter >/dev/null 2>&1 || true

  # into a new database first: the live one is dropped only once the restore is complete
  say "restoring PostgreSQL"
  in_db 'psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -c "DROP DATABASE IF EXISTS \"${POSTGRES_DB}_restoring\" WITH (FORCE)" -c "CREATE DATABASE \"${POSTGRES_DB}_restoring\" OWNER \"$POSTGRES_USER\""' >/dev/null
  if ! in_db 'pg_restore --no-owner --role="$POSTGRES_USER" --exit-on-error -U "$POSTGRES_USER" -d "${POSTGRES_DB}_restoring"' < "$dir/postgres.dump"; then
    in_db 'psql -X -q -U "$POSTGRES_USER" -d postgres -c "DROP DATABASE IF EXISTS \"${POSTGRES_DB}_restoring\" WITH (FORCE)"' >/dev/null 2>&1 || true
    compose start tollgate >/dev/null 2>&1 || true
    die "restoring PostgreSQL from $(basename "$dir") failed (above); the live database was not changed and the gateway was started again. Try an older backup (scripts/backup.sh list; scripts/backup.sh restore NAME) and keep this one for inspection"
  fi
  in_db 'psql -X -q -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d postgres -c "DROP DATABASE IF EXISTS \"$POSTGRES_DB\" WITH (FORCE)" -c "ALTER DATABASE \"${POSTGRES_DB}_restoring\" RENAME TO \"$POSTGRES_DB\""' >/dev/null \
    || die "the backup was restored into database ${POSTGRES_DB}_restoring, but it could not replace the live one; the gateway is stopped. Rename it by hand (psql: DROP DATABASE ...; ALTER DATABASE ... RENAME TO ...), then docker compose start tollgate"

  if [ -f "$dir/redis.rdb" ]; then
    say "restoring Redis"
    compose stop redis >/dev/null 2>&1
    # Redis prefers its append-only file to dump.rdb at start: load the snapshot in a one-off
    # server without AOF, let it write a fresh AOF from memory, then start the service on it.
    compose run --rm --no-deps -T --entrypoint sh redis -c '
      set -e
      rm -rf /data/appendonlydir /data/appendonly.aof
      cat > /data/dump.rdb
      redis-server --dir /data --appendonly no --port 6390 --bind 127.0.0.1 --daemonize yes >/dev/null
      until redis-cli -p 6390 ping 2>/dev/null | grep -q PONG; do sleep 0.2; done
      redis-cli -p 6390 config set appendonly yes >/dev/null
      sleep 0.5
      until redis-cli -p 6390 info persistence | grep -q "^aof_rewrite_in_progress:0"; do sleep 0.2; done
      until redis-cli -p 6390 info persistence | grep -q "^aof_rewrite_scheduled:0"; do sleep 0.2; done
      redis-cli -p 6390 shutdown save >/dev/null 2>&1 || true' < "$dir/redis.rdb"
    compose up -d redis >/dev/null 2>&1
    wait_healthy redis 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG'
  fi

  say "checking row counts"
  if ! diff <(sort "$dir/rowcounts.txt") <(row_counts | sort) >/dev/null; then
    diff <(sort "$dir/rowcounts.txt") <(row_counts | sort) >&2 || true
    die "row counts differ from the backup (above: < backup, > now); the gateway was left stopped"
  fi

  say "starting the gateway"
  compose start tollgate >/dev/null 2>&1 || compose up -d tollgate >/dev/null 2>&1
  if compose ps --services 2>/dev/null | grep -x metrics-exporter >/dev/null; then compose start metrics-exporter >/dev/null 2>&1 || true; fi
  say "restored $(basename "$dir"): $(wc -l < "$dir/rowcounts.txt" | tr -d ' ') tables, row counts match"
}

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
  backup) shift; cmd_backup "$@" ;;
  list) shift; cmd_list ;;
  verify) shift; cmd_verify "$@" ;;
  restore) shift; cmd_restore "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
