#!/usr/bin/env bash
# `docker compose` with a safety catch: commands that delete data are stopped until you have seen
# what would be lost, typed a confirmation, and a safety backup (scripts/backup.sh) exists.
# Everything else passes through untouched, exit code included.
#
#   scripts/docker-safe.sh [--yes-i-have-a-backup] ARGS...   ARGS as for `docker compose`
#
# Guarded: down -v/--volumes, down --rmi, rm -f/--force/-v/--volumes, volume rm, volume prune,
# system prune. (`volume ...` and `system ...` go to `docker`, the rest to `docker compose`, or
# `docker-compose` where the v2 plugin is missing.)
# Without a terminal, a guarded command is refused (exit 3) unless --yes-i-have-a-backup is given;
# the safety backup is still taken then.
#
# Aliases for your shell profile:
#   alias dc='scripts/docker-safe.sh'
#   alias docker-compose='scripts/docker-safe.sh'
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
yes=false
if [ "${1:-}" = --yes-i-have-a-backup ]; then yes=true; shift; fi

compose() {
  if docker compose version >/dev/null 2>&1; then docker compose "$@"; else docker-compose "$@"; fi
}

if [ $# -eq 0 ] || [ "$1" = -h ] || [ "$1" = --help ]; then
  sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

# Options before the subcommand (-f FILE, -p NAME, --profile P, --env-file F) are kept as given
# (`global`) and passed to the safety check's own compose calls; the project they select is worked
# out as compose does it (-p, COMPOSE_PROJECT_NAME from the environment or the env file, the project
# directory's name), to name what would be lost and to back up that project, not another one.
project=""
files=()
env_file=""
project_dir=""
args=("$@")
i=0
while [ $i -lt ${#args[@]} ]; do
  case "${args[$i]}" in
    -p|--project-name) project=${args[$((i + 1))]:-}; i=$((i + 2)) ;;
    --project-name=*) project=${args[$i]#*=}; i=$((i + 1)) ;;
    -f|--file) files+=("${args[$((i + 1))]:-}"); i=$((i + 2)) ;;
    --file=*) files+=("${args[$i]#*=}"); i=$((i + 1)) ;;
    --env-file) env_file=${args[$((i + 1))]:-}; i=$((i + 2)) ;;
    --env-file=*) env_file=${args[$i]#*=}; i=$((i + 1)) ;;
    --project-directory) project_dir=${args[$((i + 1))]:-}; i=$((i + 2)) ;;
    --project-directory=*) project_dir=${args[$i]#*=}; i=$((i + 1)) ;;
    --profile|--ansi|--log-level|-H|--host|--context|-c) i=$((i + 2)) ;;
    -*) i=$((i + 1)) ;;
    *) break ;;
  esac
done
global=("${args[@]:0:$i}")
sub=${args[$i]:-}
rest=("${args[@]:$((i + 1))}")

abs() { (cd "$(dirname "$1")" && printf '%s/%s' "$(pwd)" "$(basename "$1")"); }
# A variable from the environment, else from the env file compose reads (--env-file, else .env in
# the project directory).
from_env() {
  local name=$1 f=${env_file:-${project_dir:-.}/.env} value
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; return; fi
  [ -f "$f" ] || return 0
  value=$(sed -n "s/^${name}=//p" "$f" | tail -n 1)
  value=${value%\"}; value=${value#\"}; value=${value%\'}; value=${value#\'}
  printf '%s' "$value"
}
if [ ${#files[@]} -eq 0 ] && [ -n "$(from_env COMPOSE_FILE)" ]; then
  IFS="${COMPOSE_PATH_SEPARATOR:-:}" read -r -a files <<< "$(from_env COMPOSE_FILE)"
  # COMPOSE_FILE's paths are relative to the project directory
  for j in "${!files[@]}"; do case "${files[$j]}" in /*) ;; *) files[j]="${project_dir:-.}/${files[$j]}" ;; esac; done
fi
[ -n "$project" ] || project=$(from_env COMPOSE_PROJECT_NAME)
if [ -z "$project" ]; then
  # compose names the project after its directory: --project-directory, else the first file's
  if [ -n "$project_dir" ]; then dir=$project_dir; elif [ ${#files[@]} -gt 0 ]; then dir=$(dirname "${files[0]}"); else dir=.; fi
  project=$(basename "$(cd "$dir" 2>/dev/null && pwd || echo "$dir")")
fi
project=$(printf '%s' "$project" | tr '[:upper:]' '[:lower:]' | tr -cd 'a-z0-9_-')
# the same project for backup.sh, which runs from the repository's root: absolute paths
backup_args=(-p "$project")
for f in "${files[@]}"; do backup_args+=(-f "$(abs "$f")"); done
if [ -n "$env_file" ]; then backup_args+=(--env-file "$(abs "$env_file")"); fi

has() { local want a; for want in "$@"; do for a in "${rest[@]}"; do [ "$a" = "$want" ] && return 0; done; done; return 1; }
# a group of short flags that holds the letter, whatever else it holds (-v, -fv, -vt0, -tv)
has_short() { local letter=$1 a; for a in "${rest[@]}"; do [[ "$a" =~ ^-[a-zA-Z0-9]*${letter}[a-zA-Z0-9]*$ ]] && return 0; done; return 1; }
# --volumes=true (compose v2's boolean form); --volumes=false is harmless
has_true() { local a; for a in "${rest[@]}"; do case "$a" in "$1="false|"$1="0) ;; "$1="*) return 0 ;; esac; done; return 1; }

danger=""
runner=compose
case "$sub" in
  down)
    if has --volumes || has_true --volumes || has_short v; then danger="remove the project's volumes (database, Redis, Prometheus and Grafana data, and spend not yet in the database)"; fi
    if has --rmi || printf '%s\n' "${rest[@]}" | grep '^--rmi=' >/dev/null; then danger="${danger:+$danger, and }remove its images"; fi ;;
  rm)
    if has --force --volumes || has_true --force || has_true --volumes || has_short f || has_short v; then danger="remove containers without asking, and their anonymous volumes"; fi ;;
  volume)
    runner=docker
    case "${rest[0]:-}" in rm|remove|prune) danger="delete Docker volumes (data in them is gone for good)" ;; esac ;;
  system)
    runner=docker
    [ "${rest[0]:-}" = prune ] && danger="delete stopped containers, unused networks, images${rest[*]:+ (and with --volumes, volumes)}" ;;
esac

if [ -z "$danger" ]; then
  if [ "$runner" = docker ]; then exec docker "$sub" "${rest[@]}"; fi
  set +e
  compose "$@"
  exit $?
fi

echo "docker-safe: '$*' would $danger." >&2
volumes=$(docker volume ls -q --filter "label=com.docker.compose.project=$project" 2>/dev/null || true)
if [ -n "$volumes" ]; then
  echo "docker-safe: volumes of project '$project':" >&2
  df=$(docker system df -v 2>/dev/null || true)  # slow: once for all volumes
  while read -r v; do
    size=$(awk -v v="$v" '$1 == v {print $3}' <<< "$df")
    echo "    $v (${size:-size unknown})" >&2
  done <<< "$volumes"
fi
echo "docker-safe: safer: 'restart' to restart, 'down' without -v keeps the data, 'stop' to pause." >&2

if ! $yes; then
  if [ ! -t 0 ]; then
    echo "docker-safe: refused: no terminal to confirm on. Add --yes-i-have-a-backup to run it anyway (a safety backup is still taken)." >&2
    exit 3
  fi
  read -r -p "Type the project name ($project) to take a safety backup and go on: " answer
  if [ "$answer" != "$project" ]; then echo "docker-safe: not confirmed; nothing done." >&2; exit 3; fi
fi

if compose "${global[@]}" ps --services --filter status=running 2>/dev/null | grep -x db >/dev/null; then
  echo "docker-safe: taking a safety backup of project '$project' first" >&2
  # </dev/null: the backup's docker commands must not eat the confirmation typed next
  "$here/backup.sh" "${backup_args[@]}" backup </dev/null || { echo "docker-safe: the backup failed; nothing deleted." >&2; exit 4; }
else
  echo "docker-safe: WARNING: the db service is not running, so no safety backup could be taken." >&2
  if $yes; then echo "docker-safe: refused: start the stack (up -d db) so a backup can be taken first." >&2; exit 4; fi
fi

if ! $yes; then
  read -r -p "Backup done. Type 'yes' to $danger: " answer
  if [ "$answer" != yes ]; then echo "docker-safe: not confirmed; nothing deleted (the backup is kept)." >&2; exit 3; fi
fi

if [ "$runner" = docker ]; then exec docker "$sub" "${rest[@]}"; fi
set +e
compose "$@"
exit $?
