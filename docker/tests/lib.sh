#!/usr/bin/env bash
# Helpers of the deployment suite (sourced by run.sh): test bookkeeping, containers with a label
# that the final clean-up removes, HTTP calls, free ports.
# shellcheck disable=SC2034 # variables are used by run.sh

RUN_ID=${TOLLGATE_TEST_ID:-tg$$}
LABEL="tollgate.test=$RUN_ID"
# dangling images from before this run (set once the engine runs): cleanup leaves them alone
DANGLING_BEFORE=
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-docker-tests.XXXXXX")
MASTER_KEY="sk-test-master-$RUN_ID"
passed=0 failed=0 skipped=0
failures=()
SKIP=77

log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*"; }

# run_test NAME FUNCTION [ARGS...]: the function runs in a subshell with set -e; it passes when
# it returns 0, is skipped when it exits $SKIP (after printing why), fails otherwise.
run_test() {
  local name=$1; shift
  local out="$WORK/test-$((passed + failed + skipped + 1)).log" rc start took
  start=$(date +%s)
  # no `|| rc=$?` here: bash ignores set -e inside a subshell whose status is tested
  ( set -eo pipefail; "$@" ) >"$out" 2>&1
  rc=$?
  took=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    passed=$((passed + 1)); log "PASS  $name (${took}s)"
    grep '^info:' "$out" | sed 's/^/        /' || true
  elif [ $rc -eq $SKIP ]; then
    skipped=$((skipped + 1)); log "SKIPPED  $name: $(grep '^skip:' "$out" | tail -n 1 | sed 's/^skip: //')"
  else
    failed=$((failed + 1)); failures+=("$name"); log "FAIL  $name (${took}s)"
    tail -n 25 "$out" | sed 's/^/        | /'
  fi
}

# `... | has PATTERN`: like grep -q, but reads all its input, so that the writer never gets
# SIGPIPE (which pipefail would count as a failure)
has() { grep "$@" >/dev/null; }

skip() { echo "skip: $*"; exit "$SKIP"; }
info() { echo "info: $*"; }
fail() { echo "assertion failed: $*" >&2; exit 1; }

# A container that the clean-up will find; prints its id.
crun() { docker run -d --label "$LABEL" "$@"; }

ip_of() { docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$1" | awk '{print $1}'; }

now_ms() { date +%s%3N; }

# wait_http URL SECONDS: polls until the URL answers 200; prints the milliseconds it took.
wait_http() {
  local url=$1 limit=$2 t0
  t0=$(now_ms)
  while [ $(( $(now_ms) - t0 )) -lt $((limit * 1000)) ]; do
    if curl -sf -o /dev/null --max-time 2 "$url"; then echo $(( $(now_ms) - t0 )); return 0; fi
    sleep 0.1
  done
  echo "no 200 from $url within ${limit}s" >&2
  return 1
}

# wait_health CONTAINER SECONDS: until Docker's own HEALTHCHECK says healthy.
wait_health() {
  local c=$1 limit=$2 s
  for _ in $(seq "$limit"); do
    s=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{end}}' "$c")
    [ "$s" = healthy ] && return 0
    sleep 1
  done
  echo "$c is not healthy after ${limit}s (status: $s)" >&2
  docker inspect -f '{{json .State.Health}}' "$c" >&2 || true
  return 1
}

# chat BASE_URL KEY MODEL: prints "STATUS BODY"
chat() {
  curl -s --max-time 30 -w '\n%{http_code}' "$1/v1/chat/completions" -H "Authorization: Bearer $2" \
    -H 'Content-Type: application/json' -d "{\"model\":\"$3\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}" \
    | awk '{lines[NR]=$0} END {printf "%s ", lines[NR]; for (i=1;i<NR;i++) printf "%s", lines[i]; print ""}'
}

expect_chat() { # expect_chat BASE KEY MODEL TEXT
  local r
  r=$(chat "$1" "$2" "$3")
  case "$r" in
    "200 "*"$4"*) return 0 ;;
    *) fail "chat with $3 at $1: $r" ;;
  esac
}

free_port() {
  local p
  while :; do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
}

# xargs -r: each command runs only when there is something to remove
remove() { xargs -r docker "$@" >/dev/null 2>&1 || true; }

cleanup() {
  docker ps -aq --filter "label=$LABEL" | remove rm -f
  for p in "${projects[@]}"; do
    docker-compose -p "$p" -f "$ROOT/docker-compose.yml" down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
    # containers, networks and volumes of a project whose compose files no longer parse
    docker ps -aq --filter "label=com.docker.compose.project=$p" | remove rm -f
    docker volume ls -q --filter "label=com.docker.compose.project=$p" | remove volume rm
    docker network ls -q --filter "label=com.docker.compose.project=$p" | remove network rm
  done
  docker network ls -q --filter "label=$LABEL" | remove network rm
  docker volume ls -q --filter "label=$LABEL" | remove volume rm
  # what this run's builds left untagged: the build stages and the tollgate:* images it replaced
  # (4 GB a run otherwise, which filled a disk over a few days of runs)
  docker images -q --filter dangling=true | grep -vxF -f <(printf '%s\n' "$DANGLING_BEFORE") | remove rmi
  rm -rf "$WORK"
  return 0
}
projects=()
