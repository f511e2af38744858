#!/usr/bin/env bash
# Tollgate's deployment suite, on a real Docker engine: lints every script, Dockerfile and compose
# file, builds the images (tagged tollgate:default, tollgate:non-root, tollgate:database,
# tollgate:dev, left in place for inspection), runs each of them, then the compose stack, the
# hardened stack, docker-safe.sh and the backup drill. Installs and starts the engine and builds
# local stand-ins of the public base images when needed (no registry is reachable in CI).
#
# Parts that need a capability the jar does not have yet (the `migrate` subcommand and the admin
# API, /metrics, `metrics-exporter`) are detected once and reported as SKIPPED.
# Everything it starts is removed at the end, also on failure. Ends with "N passed, M failed, K skipped".
# Commands in single quotes run inside containers, with the containers' variables:
# shellcheck disable=SC2016
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT"
# shellcheck source=docker/tests/lib.sh
. "$HERE/lib.sh"
trap cleanup EXIT
trap 'exit 130' INT TERM

suite_start=$(date +%s)
log "deployment suite $RUN_ID (work dir $WORK)"
if [ "$(id -u)" -ne 0 ] && ! docker info >/dev/null 2>&1; then
  echo "docker/tests/run.sh: needs root (to install/start the engine) or a running engine" >&2
  exit 1
fi
"$HERE/engine.sh" || exit 1
DANGLING_BEFORE=$(docker images -q --filter dangling=true)
"$HERE/standins.sh" || exit 1

JDK_BASE=tollgate-standin/maven:3.9-eclipse-temurin
DEBIAN_BASE=tollgate-standin/debian:bookworm-slim
BUILD_ARGS=(--build-arg "BUILD_BASE=$JDK_BASE" --build-arg "RUNTIME_BASE=$DEBIAN_BASE")
NET="tgnet-$RUN_ID"
UPSTREAM="upstream-$RUN_ID"

# ------------------------------------------------------------------------------------------ lint
lint_shell() {
  local ours=() others=()
  mapfile -t ours < <({ find docker scripts -name '*.sh'; echo docker/tollgate; } | sort -u)
  mapfile -t others < <({ git ls-files '*.sh' 2>/dev/null || true; find .ci -name '*.sh'; } | grep -vE '^(docker|scripts)/' | sort -u)
  shellcheck -x "${ours[@]}"
  # the rest of the repository's scripts: warnings and errors (their owners choose the style notes)
  [ ${#others[@]} -eq 0 ] || shellcheck -x -S warning "${others[@]}"
  info "shellcheck clean: ${#ours[@]} deployment scripts (all notes), ${#others[@]} others (warnings and errors)"
}

# Structural lint (hadolint is not packaged in Debian): every base is a build argument with a
# default, no BuildKit-only syntax, non-root, a HEALTHCHECK without curl, exec-form ENTRYPOINT/CMD,
# OCI labels, apt installs without recommends and with the lists removed, no ADD of URLs.
lint_dockerfile() {
  local f=$1 problems=()
  grep -qE '^RUN --mount' "$f" && problems+=("RUN --mount needs BuildKit")
  grep -qiE '^ADD +https?://' "$f" && problems+=("ADD of a URL")
  while read -r from; do
    base=$(awk '{print $2}' <<< "$from")
    case "$base" in
      '${'*'}') arg=${base#\$\{}; arg=${arg%\}}
        grep -qE "^ARG $arg=.+" "$f" || problems+=("FROM $base: ARG $arg has no default") ;;
      deps|build|jre|agents) ;;
      *) problems+=("FROM $base is not a build argument") ;;
    esac
  done < <(grep -E '^FROM ' "$f")
  grep -qE '^USER +(root|0)(:|$)' "$f" && problems+=("runs as root")
  # an image built FROM Tollgate's inherits its user
  grep -qE '^USER |^FROM \$\{TOLLGATE_IMAGE\}' "$f" || problems+=("no USER")
  grep -qE '^HEALTHCHECK .*CMD \["tollgate", "health"' "$f" || problems+=("no HEALTHCHECK with tollgate health")
  grep -qiE 'curl|wget' <(grep -E '^HEALTHCHECK' "$f") && problems+=("HEALTHCHECK uses curl/wget")
  grep -qE '^ENTRYPOINT \[' "$f" || problems+=("ENTRYPOINT not in exec form")
  grep -qE '^CMD \[' "$f" || problems+=("CMD not in exec form")
  grep -qE '^EXPOSE .*4000' "$f" || problems+=("no EXPOSE 4000")
  grep -q 'org.opencontainers.image.title' "$f" || problems+=("no OCI labels")
  if grep -q 'apt-get install' "$f"; then
    grep 'apt-get install' "$f" | grep -qv -- '--no-install-recommends' && problems+=("apt-get install without --no-install-recommends")
    grep -q 'rm -rf /var/lib/apt/lists' "$f" || problems+=("apt lists not removed")
  fi
  if [ ${#problems[@]} -gt 0 ]; then printf '%s: %s\n' "$f" "${problems[@]}"; return 1; fi
  # the classic builder's parser must accept it: a build of a missing target fails after parsing
  if docker build -q -f "$f" --target no-such-stage . 2>&1 | has -iE 'parse|unknown instruction|dockerfile parse'; then
    echo "$f does not parse"; return 1
  fi
}

lint_dockerfiles() {
  local f bad=0
  for f in Dockerfile docker/Dockerfile.non_root docker/Dockerfile.database docker/Dockerfile.alpine docker/Dockerfile.dev deploy/Dockerfile.ghcr_base; do
    lint_dockerfile "$f" || bad=1
  done
  # the production Dockerfiles share their build stages (and so their cached layers)
  stages() { sed -n '/^# --- dependencies/,/^# --- \(runtime\|the runtime.s files\)/p' "$1" | grep -v '^# --- \(runtime\|the runtime.s files\)' | grep -v '^FROM ${JRE_BUILD_BASE}\|^FROM deps AS jre\|trimmed'; }
  for f in docker/Dockerfile.non_root docker/Dockerfile.database; do
    diff <(stages Dockerfile) <(stages "$f") >/dev/null || { echo "$f: build stages differ from Dockerfile's"; bad=1; }
  done
  return $bad
}

stack_env() { # the variables docker-compose.yml reads, for a test project
  export COMPOSE_PROJECT_NAME=$1
  export COMPOSE_FILE=${2:-docker-compose.yml}
  export LITELLM_MASTER_KEY=$MASTER_KEY LITELLM_SALT_KEY="sk-test-salt-$RUN_ID"
  export POSTGRES_PASSWORD="pg-$RUN_ID" REDIS_PASSWORD="redis-$RUN_ID" GRAFANA_ADMIN_PASSWORD="gf-$RUN_ID"
  export TOLLGATE_IMAGE=tollgate:non-root POSTGRES_IMAGE=tollgate-standin/postgres:16 REDIS_IMAGE=tollgate-standin/redis:7
  export PROMETHEUS_IMAGE=tollgate-standin/prometheus:latest BUILD_BASE=$JDK_BASE RUNTIME_BASE=$DEBIAN_BASE
  export EGRESS_PROXY_IMAGE=tollgate-egress-proxy:test
  export BACKUP_DIR="$WORK/backups-$1" DB_WAIT_SECONDS=60
  if [ -n "$HAS_MIGRATE" ]; then export TOLLGATE_ENTRYPOINT=docker/entrypoint.sh; else export TOLLGATE_ENTRYPOINT=docker/prod_entrypoint.sh; fi
}

lint_compose() {
  stack_env lint
  docker-compose -f docker-compose.yml config -q
  docker-compose -f docker-compose.yml -f docker-compose.hardened.yml config -q
  docker-compose -f docker-compose.yml -f docker-compose.hardened.yml -f docker/tests/compose.hardened-test.yml config -q
  docker-compose -f docker-compose.yml --profile exporter config --services | has -x metrics-exporter
  # every service has a health check, a restart policy; ports only through TOLLGATE_BIND
  local cfg
  cfg=$(TOLLGATE_BIND=127.0.0.1 docker-compose -f docker-compose.yml --profile exporter config)
  for s in tollgate db redis prometheus grafana metrics-exporter; do
    awk -v s="  $s:" '$0 == s {on=1; next} /^  [a-z]/ {on=0} on' <<< "$cfg" > "$WORK/svc"
    grep -q 'healthcheck:' "$WORK/svc" || fail "$s has no healthcheck"
    grep -q 'restart: unless-stopped' "$WORK/svc" || fail "$s has no restart policy"
  done
  grep -E '^\s+- [0-9.]+:[0-9]+:[0-9]+' <<< "$cfg" | grep -v '127.0.0.1' && fail "a port is not bound to TOLLGATE_BIND"
  # .env.example documents every variable the compose files read
  local missing=()
  for v in $(grep -ohE '\$\{[A-Z_]+' docker-compose.yml docker-compose.hardened.yml | sort -u | tr -d '${'); do
    grep -qE "^$v=" docker/.env.example || missing+=("$v")
  done
  [ ${#missing[@]} -eq 0 ] || fail "docker/.env.example lacks: ${missing[*]}"
  info "docker-compose config validates the base, hardened and test files"
}

# ------------------------------------------------------------------------------------------ build
declare -A IMAGE_FILE=([default]=Dockerfile [non-root]=docker/Dockerfile.non_root [database]=docker/Dockerfile.database [dev]=docker/Dockerfile.dev)
build_image() {
  local tag=$1 t0
  t0=$(date +%s)
  docker build -q -t "tollgate:$tag" -f "${IMAGE_FILE[$tag]}" "${BUILD_ARGS[@]}" \
    --build-arg "VERSION=test" --build-arg "REVISION=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" . >/dev/null
  info "tollgate:$tag built in $(( $(date +%s) - t0 ))s, $(docker image inspect -f '{{.Size}}' "tollgate:$tag" | awk '{printf "%.0f MB", $1/1e6}')"
}

# ------------------------------------------------------------------------------------------ images
gateway() { # gateway IMAGE [docker run options]: a gateway on the test network with the test config
  local image=$1; shift
  crun "$@" --network "$NET" -e "LITELLM_MASTER_KEY=$MASTER_KEY" -e "UPSTREAM_BASE=http://upstream:8080/v1" \
    -v "$HERE/gateway.yaml:/app/config.yaml:ro" "$image" --port 4000 --config /app/config.yaml >/dev/null
}

start_image() { # start_image TAG NAME [extra run options]: a running gateway of that image
  local tag=$1 name=$2; shift 2
  local extra=(--label "tollgate.image=$tag")
  if [ "$tag" = database ]; then
    if [ -n "$HAS_MIGRATE" ]; then extra+=(-e "DATABASE_URL=postgresql://tollgate:tollgate@pg-$RUN_ID:5432/images"); else extra+=(--entrypoint docker/prod_entrypoint.sh); fi
  fi
  # /tmp as a tmpfs, which Docker mounts noexec: SQLite must work without executing from /tmp
  gateway "tollgate:$tag" --name "$name" --stop-timeout 15 --tmpfs /tmp "${extra[@]}" "$@"
}

test_image_serves() { # start; readiness, mock chat, chat through the fake upstream, Docker's health check
  local tag=$1 c="img-$1-$RUN_ID" ms ip t0
  t0=$(now_ms)
  start_image "$tag" "$c"
  ip=$(ip_of "$c")
  wait_http "http://$ip:4000/health/readiness" 60 >/dev/null || { docker logs "$c" 2>&1 | tail; exit 1; }
  ms=$(( $(now_ms) - t0 ))
  curl -s "http://$ip:4000/health/readiness" | has '"status":"healthy"' || fail "readiness not healthy"
  curl -s "http://$ip:4000/health/readiness" | has '"db":"connected"' || fail "database not working: $(curl -s "http://$ip:4000/health/readiness"; docker logs "$c" 2>&1 | grep -m 3 -iE 'sqlite|UnsatisfiedLink')"
  # the port follows PORT (default 4000): no --port in the image's CMD
  docker image inspect -f '{{json .Config.Cmd}}' "tollgate:$tag" | has -- '--port' && fail "the image's CMD fixes --port"
  expect_chat "http://$ip:4000" "$MASTER_KEY" demo "Hello from the mock"
  expect_chat "http://$ip:4000" "$MASTER_KEY" upstream "fake upstream says hi"
  wait_health "$c" 60
  info "tollgate:$tag ready ${ms} ms after docker run (noexec /tmp, database connected); Docker's HEALTHCHECK (tollgate health) says healthy"
}

test_aot_cache() { # the running gateway uses the image's AOT cache, and the JVM accepts that cache (AOTMode=on refuses a stale one)
  local tag=$1 c="img-$1-$RUN_ID"
  docker exec "$c" sh -c 'cat /proc/1/cmdline | tr "\0" " "' | has -- '-XX:AOTCache=/app/tollgate.aot' || fail "the gateway runs without the AOT cache"
  # shellcheck disable=SC2016 # expanded in the container
  docker run --rm --label "$LABEL" --entrypoint sh "tollgate:$tag" -c \
    'exec java $(tollgate --jvm-options) -XX:AOTMode=on -XX:AOTCache=/app/tollgate.aot -jar /app/tollgate.jar --version' >"$WORK/aot-$tag" 2>&1 \
    || fail "the JVM refuses the image's AOT cache: $(tail -3 "$WORK/aot-$tag")"
  info "tollgate:$tag: AOT cache $(docker run --rm --label "$LABEL" --entrypoint sh "tollgate:$tag" -c 'du -m /app/tollgate.aot | cut -f1') MB, accepted by the image's JVM"
}

test_image_drains() { # docker stop during a 3-second request: the request completes, exit 0
  local tag=$1 c="img-$1-$RUN_ID" ip t0 took code
  ip=$(ip_of "$c")
  (chat "http://$ip:4000" "$MASTER_KEY" slow > "$WORK/drain-$tag") &
  local client=$!
  sleep 1
  t0=$(now_ms)
  docker stop -t 15 "$c" >/dev/null
  took=$(( $(now_ms) - t0 ))
  wait $client || true
  code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
  [ "$code" = 0 ] || fail "exit code $code after docker stop"
  grep -q '^200 .*fake upstream says hi' "$WORK/drain-$tag" || fail "request in flight not completed: $(cat "$WORK/drain-$tag")"
  [ "$took" -lt 15000 ] || fail "stop took ${took} ms (grace period 15 s)"
  docker logs "$c" 2>&1 | has 'draining' || fail "no drain in the logs"
  info "tollgate:$tag: docker stop with a request in flight: request completed, exit 0 after ${took} ms"
}

test_agents_and_flags() { # USE_OTEL / USE_DDTRACE load their agents on the trimmed JRE; --detailed_debug passes through
  local c ip
  for agent in USE_OTEL USE_DDTRACE; do
    c="agent-$agent-$RUN_ID"
    crun --name "$c" --network "$NET" -e "$agent=true" -e LITELLM_MASTER_KEY="$MASTER_KEY" -e UPSTREAM_BASE=http://upstream:8080/v1 \
      -e OTEL_TRACES_EXPORTER=none -e OTEL_METRICS_EXPORTER=none -e OTEL_LOGS_EXPORTER=none -e DD_TRACE_AGENT_URL=http://127.0.0.1:9 \
      -v "$HERE/gateway.yaml:/app/config.yaml:ro" tollgate:default --port 4000 --config /app/config.yaml --detailed_debug >/dev/null
    ip=$(ip_of "$c")
    wait_http "http://$ip:4000/health/readiness" 120 >/dev/null || { docker logs "$c" 2>&1 | tail -20; exit 1; }
    expect_chat "http://$ip:4000" "$MASTER_KEY" upstream "fake upstream says hi"
    docker exec "$c" sh -c 'cat /proc/1/cmdline | tr "\0" " "' | has -- '-javaagent:/app/agents/' || fail "$agent: no -javaagent on the JVM"
    docker logs "$c" 2>&1 | has 'DEBUG' || fail "--detailed_debug did not reach the gateway"
    ! docker logs "$c" 2>&1 | grep -q '\[error\]\[aot\]' || fail "$agent: the JVM turned the AOT cache down with an error line"
    docker rm -f "$c" >/dev/null
  done
  info "USE_OTEL and USE_DDTRACE start the gateway with their agents; --detailed_debug passes through"
}

test_ghcr_base() { # deploy/Dockerfile.ghcr_base: the image plus a config.yaml, started by its own CMD
  local ctx="$WORK/ghcr" c="ghcr-$RUN_ID" ip
  mkdir -p "$ctx"
  sed 's#os.environ/UPSTREAM_BASE#http://upstream:8080/v1#' "$HERE/gateway.yaml" > "$ctx/config.yaml"
  docker build -q -t "tollgate-ghcr-test:$RUN_ID" -f deploy/Dockerfile.ghcr_base --build-arg TOLLGATE_IMAGE=tollgate:default "$ctx" >/dev/null
  crun --name "$c" --network "$NET" -e LITELLM_MASTER_KEY="$MASTER_KEY" "tollgate-ghcr-test:$RUN_ID" >/dev/null
  ip=$(ip_of "$c")
  wait_http "http://$ip:4000/health/readiness" 60 >/dev/null || { docker logs "$c" 2>&1 | tail; exit 1; }
  expect_chat "http://$ip:4000" "$MASTER_KEY" upstream "fake upstream says hi"
  docker rm -f "$c" >/dev/null
  docker rmi "tollgate-ghcr-test:$RUN_ID" >/dev/null
}

# ------------------------------------------------------------------------------------------ non-root
test_nonroot_identity() {
  local c="img-non-root-$RUN_ID"
  [ "$(docker exec "$c" id -u)" = 65534 ] || fail "uid $(docker exec "$c" id -u)"
  [ "$(docker exec "$c" id -g)" = 0 ] || fail "gid $(docker exec "$c" id -g)"
  # writes nothing outside /tmp
  local changes
  local mounts
  mounts=$(docker inspect -f '{{range .Mounts}}{{.Destination}} {{end}}' "$c")
  # Docker itself creates mount points (and so changes their parent folders)
  changes=$(docker diff "$c" | awk '{print $2}' | grep -vE '^/tmp(/|$)' | while read -r p; do
    case " $mounts " in *" $p "*|*" $p/"*) ;; *) echo "$p" ;; esac; done)
  [ -z "$changes" ] || fail "files written outside /tmp: $changes"
}

test_journal_mount_point() { # each image's user can write a new volume at the stack's spend-journal path, and at /app/data where the docs say
  local tag vol
  for tag in default non-root database dev; do
    vol="journal-$tag-$RUN_ID"
    docker volume create --label "$LABEL" "$vol" >/dev/null
    docker run --rm --label "$LABEL" -v "$vol:/var/lib/tollgate/spend-journal" --entrypoint sh "tollgate:$tag" \
      -c 'touch /var/lib/tollgate/spend-journal/probe' || fail "tollgate:$tag cannot write a volume at /var/lib/tollgate/spend-journal"
    docker volume rm "$vol" >/dev/null
  done
  # docker/README.md: the default, database and dev images keep SQLite and the spend journal in
  # /app/data, and a volume there keeps them
  for tag in default database dev; do
    vol="data-$tag-$RUN_ID"
    docker volume create --label "$LABEL" "$vol" >/dev/null
    docker run --rm --label "$LABEL" -v "$vol:/app/data" --entrypoint sh "tollgate:$tag" -c '
      case "$TOLLGATE_DB_PATH $TOLLGATE_SPEND_JOURNAL_DIR" in "/app/data/"*" /app/data/"*) ;; *) echo "not in /app/data: $TOLLGATE_DB_PATH $TOLLGATE_SPEND_JOURNAL_DIR"; exit 1 ;; esac
      touch /app/data/probe' || fail "tollgate:$tag: /app/data is not where its data goes, or not writable"
    docker volume rm "$vol" >/dev/null
  done
  info "default, non-root, database and dev write a fresh volume at the journal path; default, database and dev keep their data in /app/data"
}

test_nonroot_readonly_arbitrary_uid() { # OpenShift's way: read-only root, a noexec tmpfs on /tmp, an arbitrary UID in group 0
  local c="ro-$RUN_ID" ip
  gateway tollgate:non-root --name "$c" --read-only --tmpfs /tmp --user 1000680000:0
  ip=$(ip_of "$c")
  wait_http "http://$ip:4000/health/readiness" 60 >/dev/null || { docker logs "$c" | tail; exit 1; }
  expect_chat "http://$ip:4000" "$MASTER_KEY" upstream "fake upstream says hi"
  docker exec "$c" sh -c 'touch /app/x' 2>/dev/null && fail "root filesystem is writable"
  curl -s "http://$ip:4000/health/readiness" | has '"db":"connected"' || fail "SQLite does not work: $(docker logs "$c" 2>&1 | grep -m 3 -iE 'sqlite|UnsatisfiedLink')"
  docker exec "$c" tollgate health >/dev/null || fail "the HEALTHCHECK's command fails"
  docker rm -f "$c" >/dev/null
  # without the image's native library, sqlite-jdbc extracts it to the noexec /tmp and cannot load
  # it: the gateway serves, but the HEALTHCHECK must say unhealthy
  gateway tollgate:non-root --name "$c" --read-only --tmpfs /tmp --user 1000680000:0 -e TOLLGATE_SQLITE_LIB=
  ip=$(ip_of "$c")
  wait_http "http://$ip:4000/health/readiness" 60 >/dev/null || { docker logs "$c" | tail; exit 1; }
  curl -s "http://$ip:4000/health/readiness" | has '"db":"disconnected"' || fail "sanity: SQLite works from a noexec /tmp: $(curl -s "http://$ip:4000/health/readiness")"
  docker exec "$c" tollgate health >/dev/null && fail "the HEALTHCHECK's command passes while the database does not work"
  docker rm -f "$c" >/dev/null
  info "runs with --read-only --tmpfs /tmp --user 1000680000:0, SQLite working; a broken database makes the HEALTHCHECK fail"
}

test_nonroot_no_network() { # and with -e PORT=8080 and the image's own CMD: it listens there, where the HEALTHCHECK looks
  local c="nonet-$RUN_ID"
  crun --name "$c" --network none -e "LITELLM_MASTER_KEY=$MASTER_KEY" -e PORT=8080 tollgate:non-root >/dev/null
  for _ in $(seq 60); do
    if docker exec "$c" tollgate health --port 8080 >/dev/null 2>&1; then
      docker exec "$c" tollgate health >/dev/null || fail "the HEALTHCHECK's command fails with PORT=8080"
      info "starts and is ready with --network none, on PORT=8080"; return 0
    fi
    sleep 1
  done
  docker logs "$c" | tail
  fail "not ready with --network none"
}

# The checks LiteLLM keeps in docker/tests/nonroot.yaml (container-structure-test's format),
# read with a small parser: metadataTest and fileExistenceTests.
test_nonroot_structure() {
  local spec="$HERE/nonroot.yaml" image=tollgate:non-root
  local user workdir entrypoint cmd
  user=$(docker image inspect -f '{{.Config.User}}' "$image")
  workdir=$(docker image inspect -f '{{.Config.WorkingDir}}' "$image")
  entrypoint=$(docker image inspect -f '{{json .Config.Entrypoint}}' "$image" | tr -d ' ')
  cmd=$(docker image inspect -f '{{json .Config.Cmd}}' "$image" | tr -d ' ' | sed 's/^null$/[]/')
  want() { sed -n "s/^  $1: *//p" "$spec" | head -n 1 | tr -d "' " | sed 's/^"\(.*\)"$/\1/'; }
  [ "$user" = "$(want user)" ] || fail "user $user, spec $(want user)"
  [ "$workdir" = "$(want workdir)" ] || fail "workdir $workdir"
  [ "$entrypoint" = "$(want entrypoint)" ] || fail "entrypoint $entrypoint, spec $(want entrypoint)"
  [ "$cmd" = "$(want cmd)" ] || fail "cmd $cmd, spec $(want cmd)"
  docker image inspect -f '{{json .Config.ExposedPorts}}' "$image" | has '"4000/tcp"' || fail "4000 not exposed"
  # fileExistenceTests: path, uid, gid, permissions
  local n=0 path uid gid perms actual
  while IFS='|' read -r path uid gid perms; do
    actual=$(docker run --rm --entrypoint stat "$image" -c '%u|%g|%A' "$path") || fail "$path missing"
    [ "$actual" = "$uid|$gid|$perms" ] || fail "$path: $actual, spec $uid|$gid|$perms"
    n=$((n + 1))
  done < <(awk '/^fileExistenceTests:/ {on=1} on && /path:/ {p=$2} on && /uid:/ {u=$2} on && /gid:/ {g=$2}
               on && /permissions:/ {gsub(/"/, "", $2); print p "|" u "|" g "|" $2}' "$spec")
  [ "$n" -gt 0 ] || fail "no fileExistenceTests read"
  info "nonroot.yaml: metadata and $n file checks hold"
}

# ------------------------------------------------------------------------------------------ entrypoint
test_entrypoint_no_database_url() {
  local out rc=0 url want t0
  out=$(docker run --rm --label "$LABEL" tollgate:database 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || fail "started without DATABASE_URL"
  grep -q 'DATABASE_URL is not set' <<< "$out" || fail "message: $out"
  # a URL that cannot work is refused at once with one line (no wait of DB_WAIT_SECONDS), secrets unprinted
  for url in 'mysql://u:secret-pw@db:3306/x|scheme "mysql" is not supported' 'not a url|DATABASE_URL is not a URL' \
             'postgresql://u:secret-pw@db:5432/x?sslmode=bogus|pg_isready made no attempt'; do
    want=${url#*|}; url=${url%%|*}; rc=0; t0=$(date +%s)
    out=$(timeout 30 docker run --rm --label "$LABEL" -e DB_WAIT_SECONDS=60 -e "DATABASE_URL=$url" tollgate:database 2>&1) || rc=$?
    [ "$rc" -eq 2 ] || fail "DATABASE_URL=$url: exit $rc: $out"
    [ "$(grep -c . <<< "$out")" -eq 1 ] || fail "DATABASE_URL=$url: expected one line, got: $out"
    grep -qF "$want" <<< "$out" || fail "DATABASE_URL=$url: message: $out"
    grep -q 'secret-pw' <<< "$out" && fail "the password is in the log: $out"
    [ $(( $(date +%s) - t0 )) -lt 15 ] || fail "DATABASE_URL=$url: took $(( $(date +%s) - t0 ))s"
  done
  info "no DATABASE_URL, a mysql:// URL, a non-URL, a parameter libpq refuses: one line each, at once"
}

# test_entrypoint_db_down IMAGE URL-FORM [docker run options]: the database never answers within
# DB_WAIT_SECONDS: one line naming the host (not the password), a non-zero exit. URL-FORM: userinfo
# (postgresql://user:pw@host/db) or query (postgresql://host/db?user=..&password=..). Then, while
# it waits again, `docker stop` ends it at once with exit 0.
test_entrypoint_db_down() {
  local image=$1 form=$2 c="dbdown-$1-$RUN_ID" t0 code logs url took; shift 2
  if [ "$form" = query ]; then
    url="postgresql://no-such-db-$RUN_ID:5432/tollgate?user=tollgate&password=secret-pw"
  else
    url="postgresql://tollgate:secret-pw@no-such-db-$RUN_ID:5432/tollgate"
  fi
  t0=$(date +%s)
  crun --name "$c" --network "$NET" -e DB_WAIT_SECONDS=4 -e LITELLM_MASTER_KEY="$MASTER_KEY" "$@" \
    -e "DATABASE_URL=$url" "tollgate:$image" >/dev/null
  code=$(timeout 60 docker wait "$c") || fail "still running after 60 s"
  [ "$code" -ne 0 ] || fail "exit 0"
  logs=$(docker logs "$c" 2>&1)
  [ "$(grep -c . <<< "$logs")" -eq 1 ] || fail "expected one line, got: $logs"
  grep -q "not reachable after 4s (DATABASE_URL host: no-such-db-$RUN_ID:5432)" <<< "$logs" || fail "message: $logs"
  grep -q 'secret-pw' <<< "$logs" && fail "the password is in the log"
  info "tollgate:$image, database down ($form URL): exit $code after $(( $(date +%s) - t0 ))s: $logs"
  docker rm -f "$c" >/dev/null
  crun --name "$c" --network "$NET" -e DB_WAIT_SECONDS=60 -e LITELLM_MASTER_KEY="$MASTER_KEY" "$@" \
    -e "DATABASE_URL=$url" "tollgate:$image" >/dev/null
  sleep 3
  t0=$(now_ms)
  docker stop -t 20 "$c" >/dev/null
  took=$(( $(now_ms) - t0 ))
  code=$(docker inspect -f '{{.State.ExitCode}}' "$c")
  [ "$code" = 0 ] || fail "exit $code after docker stop while waiting for the database: $(docker logs "$c" 2>&1 | tail -n 3)"
  [ "$took" -lt 5000 ] || fail "docker stop while waiting for the database took ${took} ms"
  docker rm -f "$c" >/dev/null
  info "tollgate:$image: docker stop while it waits for the database: exit 0 after ${took} ms"
}

test_entrypoint_broken_migration() {
  # a role that may not create anything: every migration fails (and without `migrate` in the
  # jar the command itself fails): the gateway must never listen
  docker exec "pg-$RUN_ID" psql -q -U tollgate -d postgres -c "CREATE DATABASE broken" \
    -c "CREATE ROLE nocreate LOGIN PASSWORD 'nocreate'" >/dev/null
  docker exec "pg-$RUN_ID" psql -q -U tollgate -d broken -c "REVOKE ALL ON SCHEMA public FROM PUBLIC" >/dev/null
  local c="broken-$RUN_ID" code logs ip served=""
  crun --name "$c" --network "$NET" -e LITELLM_MASTER_KEY="$MASTER_KEY" \
    -e "DATABASE_URL=postgresql://nocreate:nocreate@pg-$RUN_ID:5432/broken" tollgate:database >/dev/null
  ip=$(ip_of "$c")
  for _ in $(seq 100); do
    curl -s -o /dev/null --max-time 1 "http://$ip:4000/health/liveliness" && served=yes
    [ "$(docker inspect -f '{{.State.Running}}' "$c")" = true ] || break
    sleep 0.3
  done
  code=$(timeout 60 docker wait "$c") || fail "still running"
  [ "$code" -ne 0 ] || fail "exit 0"
  [ -z "$served" ] || fail "the gateway served before the migration succeeded"
  logs=$(docker logs "$c" 2>&1)
  grep -q 'migration failed, not starting the gateway' <<< "$logs" || fail "message: $logs"
  docker logs "$c" 2>&1 | has 'ready on' && fail "gateway started"
  info "broken migration: exit $code, never served: $(tail -n 1 <<< "$logs")"
}

test_entrypoint_migrates() { # the credentials in the query string, as `tollgate migrate` accepts them
  [ -n "$HAS_MIGRATE" ] || skip "jar has no migrate yet"
  local c="migrated-$RUN_ID" ip
  docker exec "pg-$RUN_ID" psql -q -U tollgate -d postgres -c "CREATE DATABASE fresh" >/dev/null
  crun --name "$c" --network "$NET" -e LITELLM_MASTER_KEY="$MASTER_KEY" \
    -e "DATABASE_URL=postgresql://pg-$RUN_ID:5432/fresh?user=tollgate&password=tollgate" tollgate:database >/dev/null
  ip=$(ip_of "$c")
  wait_http "http://$ip:4000/health/readiness" 90 >/dev/null || { docker logs "$c" 2>&1 | tail; exit 1; }
  [ "$(docker exec "pg-$RUN_ID" psql -t -A -U tollgate -d fresh -c "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")" -gt 0 ] \
    || fail "no tables after the migration"
}

# ------------------------------------------------------------------------------------------ compose
compose() { docker-compose "$@"; }
svc_id() { compose ps -q "$1"; }

test_stack_up() {
  stack_env "$STACK"
  compose up -d tollgate prometheus >/dev/null 2>&1 || { compose logs --tail 30; exit 1; }
  local t0
  t0=$(date +%s)
  wait_health "$(svc_id tollgate)" 150 || { compose logs --tail 40 tollgate; exit 1; }
  for s in db redis prometheus; do wait_health "$(svc_id "$s")" 60; done
  wait_http "http://127.0.0.1:$TOLLGATE_PORT/health/readiness" 10 >/dev/null
  expect_chat "http://127.0.0.1:$TOLLGATE_PORT" "$MASTER_KEY" demo "Hello from Tollgate in Docker"
  docker port "$(svc_id tollgate)" 4000 | has "^127.0.0.1:$TOLLGATE_PORT$" || fail "port not bound to 127.0.0.1: $(docker port "$(svc_id tollgate)")"
  [ "$(docker inspect -f '{{.HostConfig.RestartPolicy.Name}}' "$(svc_id db)")" = unless-stopped ] || fail "restart policy"
  info "stack healthy (tollgate, db, redis, prometheus) $(( $(date +%s) - t0 ))s after up; chat through the published port works"
}

test_stack_migrated() {
  [ -n "$HAS_MIGRATE" ] || skip "jar has no migrate yet"
  stack_env "$STACK"
  local n
  n=$(compose exec -T db sh -c 'psql -t -A -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('"'pg_catalog'"', '"'information_schema'"')"')
  [ "$n" -gt 0 ] || fail "no tables in the stack's database"
  info "$n tables after the gateway's start"
}

new_key() { # prints a virtual key made through the admin API
  curl -sf "http://127.0.0.1:$TOLLGATE_PORT/key/generate" -H "Authorization: Bearer $MASTER_KEY" \
    -H 'Content-Type: application/json' -d '{"models":["demo"]}' | jq -er .key
}

test_key_survives_restart() {
  [ -n "$HAS_MIGRATE" ] || skip "jar has no migrate yet"
  stack_env "$STACK"
  local key
  key=$(new_key) || skip "jar has no /key/generate yet"
  expect_chat "http://127.0.0.1:$TOLLGATE_PORT" "$key" demo "Hello"
  compose restart tollgate >/dev/null 2>&1
  wait_http "http://127.0.0.1:$TOLLGATE_PORT/health/readiness" 90 >/dev/null
  expect_chat "http://127.0.0.1:$TOLLGATE_PORT" "$key" demo "Hello"
  compose down >/dev/null 2>&1
  compose up -d tollgate prometheus >/dev/null 2>&1
  wait_http "http://127.0.0.1:$TOLLGATE_PORT/health/readiness" 150 >/dev/null
  expect_chat "http://127.0.0.1:$TOLLGATE_PORT" "$key" demo "Hello"
  info "a key made through /key/generate works after restart and after down/up"
}

spend_rows() { # spend_rows KEY: the key's rows in the stack's spend log
  local hash
  hash=$(printf '%s' "$1" | sha256sum | cut -d' ' -f1)
  compose exec -T db sh -c "psql -t -A -U \"\$POSTGRES_USER\" -d \"\$POSTGRES_DB\" -c \"SELECT count(*) FROM tg_spend_log WHERE api_key = '$hash'\""
}

test_spend_survives_new_container() { # spend journaled during an outage reaches PostgreSQL from the spend_journal volume
  [ -n "$HAS_MIGRATE" ] || skip "jar has no migrate yet"
  stack_env "$STACK"
  local key n=0
  key=$(new_key) || skip "jar has no /key/generate yet"
  compose stop db >/dev/null 2>&1
  expect_chat "http://127.0.0.1:$TOLLGATE_PORT" "$key" demo "Hello"
  # the database is down: a clean stop leaves the row in the journal; then a new container
  compose rm -sf tollgate >/dev/null 2>&1
  compose up -d tollgate >/dev/null 2>&1
  wait_http "http://127.0.0.1:$TOLLGATE_PORT/health/readiness" 150 >/dev/null || { compose logs --tail 30 tollgate; exit 1; }
  for _ in $(seq 60); do
    n=$(spend_rows "$key")
    [ "$n" -gt 0 ] && break
    sleep 0.5
  done
  [ "$n" = 1 ] || fail "the spend row journaled while PostgreSQL was down: $n rows in the database after a new container"
  info "spend journaled during a database outage was written by the next container"
}

prom_query() { # prom_query PROMQL: prints the JSON answer
  curl -s -G --max-time 10 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/query" --data-urlencode "query=$1"
}

test_dashboards_evaluate() {
  stack_env "$STACK"
  wait_http "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" 60 >/dev/null
  local n=0 expr answer
  while read -r expr; do
    answer=$(prom_query "$expr")
    [ "$(jq -r .status <<< "$answer")" = success ] || fail "query failed: $expr -> $answer"
    n=$((n + 1))
  done < <(jq -r '.panels[].targets[].expr' grafana/dashboards/*.json)
  [ "$n" -gt 5 ] || fail "only $n queries found"
  info "$n dashboard queries evaluate without error"
}

test_prometheus_scrapes() {
  stack_env "$STACK"
  local targets
  targets=$(curl -s "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/targets")
  jq -e '.data.activeTargets[] | select(.labels.job == "tollgate")' <<< "$targets" >/dev/null || fail "no tollgate target: $targets"
  [ -n "$HAS_METRICS" ] || skip "jar has no /metrics yet (the tollgate target is configured; Prometheus reports it down)"
  for _ in $(seq 40); do
    if [ "$(prom_query 'up{job="tollgate"}' | jq -r '.data.result[0].value[1] // empty')" = 1 ]; then break; fi
    sleep 2
  done
  [ "$(prom_query 'up{job="tollgate"}' | jq -r '.data.result[0].value[1] // empty')" = 1 ] || fail "tollgate target not up"
  [ "$(prom_query 'count({__name__=~"(litellm|tollgate)_.+", job="tollgate"})' | jq -r '.data.result[0].value[1] // 0')" -gt 0 ] \
    || fail "no Tollgate series in Prometheus"
  info "Prometheus scrapes the gateway and has its series"
}

test_exporter_scraped() {
  [ -n "$HAS_EXPORTER" ] || skip "jar has no metrics-exporter yet (service behind the 'exporter' profile)"
  stack_env "$STACK"
  compose --profile exporter up -d metrics-exporter >/dev/null 2>&1
  wait_health "$(svc_id metrics-exporter)" 90
  local up=""
  for _ in $(seq 40); do
    [ "$(prom_query 'up{job="tollgate-metrics-exporter"}' | jq -r '.data.result[0].value[1] // empty')" = 1 ] && { up=yes; break; }
    sleep 2
  done
  # the later tests take the stack down without the profile: a profiled container left running
  # would keep the network in use and make `down -v` fail
  compose --profile exporter rm -sf metrics-exporter >/dev/null 2>&1
  [ -n "$up" ] || fail "exporter target not up"
  info "Prometheus scrapes the metrics exporter"
}

test_two_replicas_migrate() {
  [ -n "$HAS_MIGRATE" ] || skip "jar has no migrate yet"
  stack_env "$STACK"
  compose exec -T db sh -c 'psql -q -U "$POSTGRES_USER" -d postgres -c "CREATE DATABASE replicas"' >/dev/null
  local net url
  net=$(docker inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' "$(svc_id db)")
  url="postgresql://tollgate:$POSTGRES_PASSWORD@db:5432/replicas"
  for r in a b; do
    crun --name "replica-$r-$RUN_ID" --network "$net" -e "DATABASE_URL=$url" -e LITELLM_MASTER_KEY="$MASTER_KEY" \
      --entrypoint docker/entrypoint.sh tollgate:non-root --port 4000 >/dev/null
  done
  local ok=yes
  for r in a b; do
    wait_http "http://$(ip_of "replica-$r-$RUN_ID"):4000/health/readiness" 120 >/dev/null || { docker logs "replica-$r-$RUN_ID" | tail; ok=""; }
  done
  # on the stack's network: left running, they would keep it in use and make `down -v` fail later
  docker rm -f "replica-a-$RUN_ID" "replica-b-$RUN_ID" >/dev/null
  [ -n "$ok" ] || exit 1
  info "two replicas migrating one empty database at once both serve"
}

test_backup_drill() {
  stack_env "$STACK"
  # data the drill must bring back: a table of our own, a Redis key, and (with the admin API) keys and spend
  compose exec -T db sh -c 'psql -q -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "CREATE TABLE drill(id int primary key, note text); INSERT INTO drill SELECT g, md5(g::text) FROM generate_series(1, 500) g"'
  compose exec -T redis sh -c 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning SET drill-key kept' >/dev/null
  local key="" spend_before=""
  if [ -n "$HAS_MIGRATE" ] && key=$(new_key 2>/dev/null); then
    expect_chat "http://127.0.0.1:$TOLLGATE_PORT" "$key" demo "Hello"
    # spend reaches the database in batches (proxy_batch_write_at, 10 s): a backup holds what is
    # written, so wait for this key's row
    for _ in $(seq 60); do
      [ "$(spend_rows "$key")" -gt 0 ] && break
      sleep 0.5
    done
    spend_before=$(curl -s "http://127.0.0.1:$TOLLGATE_PORT/key/info?key=$key" -H "Authorization: Bearer $MASTER_KEY" | jq -r '.info.spend')
  fi

  scripts/backup.sh backup
  scripts/backup.sh verify latest
  scripts/backup.sh list | has . || fail "list is empty"
  local dir
  dir=$(readlink -f "$BACKUP_DIR/latest")
  for f in postgres.dump redis.rdb config.tar.gz MANIFEST SHA256SUMS rowcounts.txt; do [ -s "$dir/$f" ] || fail "$f missing"; done
  grep -q '^public.drill 500$' "$dir/rowcounts.txt" || fail "row counts: $(cat "$dir/rowcounts.txt")"
  [ ! -e "$dir/env" ] || fail ".env saved without being asked"

  # a truncated dump with checksums written again reads fine as a table of contents: verify must read
  # it to its end, and restore must refuse it before it touches the live database
  local bad=20000101T000000Z
  cp -a "$dir" "$BACKUP_DIR/$bad"
  head -c $(( $(stat -c %s "$dir/postgres.dump") - 200 )) "$dir/postgres.dump" > "$BACKUP_DIR/$bad/postgres.dump"
  sed -i "s/^[0-9a-f]*  postgres.dump\$/$(sha256sum < "$BACKUP_DIR/$bad/postgres.dump" | cut -d' ' -f1)  postgres.dump/" "$BACKUP_DIR/$bad/SHA256SUMS"
  (cd "$BACKUP_DIR/$bad" && sha256sum --quiet -c SHA256SUMS) || fail "sanity: the damaged copy's checksums do not match"
  scripts/backup.sh verify "$bad" >"$WORK/verify-bad.log" 2>&1 && fail "verify passed a truncated dump: $(cat "$WORK/verify-bad.log")"
  scripts/backup.sh restore "$bad" --yes >"$WORK/restore-bad.log" 2>&1 && fail "restore went ahead with a truncated dump"
  grep -q 'does not read back to its end' "$WORK/restore-bad.log" || fail "restore of a truncated dump: $(tail -n 3 "$WORK/restore-bad.log")"
  [ "$(compose exec -T db sh -c 'psql -t -A -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "SELECT count(*) FROM drill"')" = 500 ] \
    || fail "a refused restore changed the live database"
  rm -rf "${BACKUP_DIR:?}/$bad"
  info "a truncated dump with fresh checksums: verify and restore refuse it, the live database is untouched"

  compose down -v >"$WORK/down.log" 2>&1 || fail "down -v failed: $(tail -n 5 "$WORK/down.log")"
  [ -z "$(docker volume ls -q --filter "label=com.docker.compose.project=$STACK")" ] || fail "volumes survived down -v"
  scripts/backup.sh restore latest --yes
  wait_http "http://127.0.0.1:$TOLLGATE_PORT/health/readiness" 150 >/dev/null || { compose logs --tail 30 tollgate; exit 1; }
  [ "$(compose exec -T db sh -c 'psql -t -A -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "SELECT count(*) FROM drill"')" = 500 ] || fail "drill rows not restored"
  [ "$(compose exec -T redis sh -c 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning GET drill-key')" = kept ] || fail "Redis key not restored"
  info "backup, down -v, restore: 500 rows and the Redis key are back"
  compose up -d prometheus >/dev/null 2>&1
  if [ -n "$key" ]; then
    local spend_after
    spend_after=$(curl -s "http://127.0.0.1:$TOLLGATE_PORT/key/info?key=$key" -H "Authorization: Bearer $MASTER_KEY" | jq -r '.info.spend')
    [ "$(jq -n "($spend_before | type) == \"number\" and $spend_after == $spend_before")" = true ] || fail "spend $spend_before -> $spend_after"
    expect_chat "http://127.0.0.1:$TOLLGATE_PORT" "$key" demo "Hello"
    info "the same key works after the restore, its spend ($spend_before) kept"
  else
    info "keys and spend part SKIPPED (jar has no migrate / admin API yet)"
  fi
}

test_docker_safe_refuses() {
  stack_env "$STACK"
  local cmd rc volumes_before
  volumes_before=$(docker volume ls -q --filter "label=com.docker.compose.project=$STACK" | sort)
  # flag groups with other letters and digits (-vt0: -v, then -t 0) hold -v too
  for cmd in "down -v" "down --volumes" "down -vt0" "down -tv" "down --volumes=true" "down --rmi all" "rm -f" "rm -v db" "rm -sf db" \
             "volume rm ${STACK}_postgres_data" "volume prune -f" "system prune -f"; do
    rc=0
    # shellcheck disable=SC2086
    scripts/docker-safe.sh $cmd </dev/null >"$WORK/safe.out" 2>&1 || rc=$?
    [ "$rc" -eq 3 ] || fail "'$cmd' without a terminal: exit $rc: $(cat "$WORK/safe.out")"
    grep -q 'refused' "$WORK/safe.out" || fail "'$cmd': no refusal message"
  done
  grep -q "${STACK}_postgres_data" "$WORK/safe.out" || true
  # a wrong typed confirmation on a terminal
  rc=0
  printf 'wrong-name\n' | timeout 120 script -qec "scripts/docker-safe.sh down -v" /dev/null >"$WORK/safe.out" 2>&1 || rc=$?
  grep -q 'not confirmed' "$WORK/safe.out" || fail "wrong confirmation: $(cat "$WORK/safe.out")"
  [ "$(docker volume ls -q --filter "label=com.docker.compose.project=$STACK" | sort)" = "$volumes_before" ] || fail "volumes changed"
  wait_http "http://127.0.0.1:$TOLLGATE_PORT/health/readiness" 5 >/dev/null || fail "stack no longer serves"
  info "12 dangerous commands refused without a terminal, a wrong confirmation refused, nothing lost"
}

test_docker_safe_passes_through() {
  stack_env "$STACK"
  scripts/docker-safe.sh ps >/dev/null || fail "ps failed"
  local rc=0
  scripts/docker-safe.sh exec -T db sh -c 'exit 7' || rc=$?
  [ "$rc" -eq 7 ] || fail "exit code $rc, not 7"
  rc=0
  scripts/docker-safe.sh no-such-command >/dev/null 2>&1 || rc=$?
  [ "$rc" -ne 0 ] || fail "an unknown command passed"
  scripts/docker-safe.sh --help | has 'yes-i-have-a-backup' || fail "no usage"
}

test_docker_safe_confirmed() {
  stack_env "$STACK"
  local before after
  before=$(readlink "$BACKUP_DIR/latest" || true)
  sleep 1  # a new backup gets a new timestamp
  # typed confirmations on a terminal: project name, then yes; the project is given with -p while
  # COMPOSE_PROJECT_NAME names another one: the safety backup must be of the project -p names
  printf '%s\nyes\n' "$STACK" | COMPOSE_PROJECT_NAME="tgdecoy$RUN_ID" timeout 120 script -qec "scripts/docker-safe.sh -p $STACK down -v" /dev/null >"$WORK/safe.out" 2>&1
  after=$(readlink "$BACKUP_DIR/latest" || true)
  { [ -n "$after" ] && [ "$after" != "$before" ]; } || fail "no safety backup: $(cat "$WORK/safe.out")"
  [ -d "$BACKUP_DIR/$before" ] || fail "the earlier backup $before was deleted by retention"
  [ -z "$(docker volume ls -q --filter "label=com.docker.compose.project=$STACK")" ] || fail "volumes still there: $(cat "$WORK/safe.out")"
  grep -q '^public.drill 500$' "$(readlink -f "$BACKUP_DIR/latest")/rowcounts.txt" || fail "the safety backup lacks the data"
  info "confirmed down -v: safety backup $(basename "$(readlink -f "$BACKUP_DIR/latest")") taken, then the volumes were removed"
}

test_retention() {
  local dir="$WORK/retention" name
  mkdir -p "$dir"
  # 40 days of backups, two a day
  for d in $(seq 0 39); do
    for h in 01 13; do
      name=$(date -u -d "2026-01-01 + $d days" +%Y%m%d)T${h}0000Z
      mkdir -p "$dir/$name"
    done
  done
  BACKUP_DIR=$dir BACKUP_KEEP_DAILY=3 BACKUP_KEEP_WEEKLY=2 BACKUP_KEEP_MONTHLY=2 bash -c '
    . <(sed -n "/^retention()/,/^}/p; /^list_names()/,/^}/p; /^setting()/,/^}/p; /^say()/p" scripts/backup.sh)
    backup_dir=$BACKUP_DIR; retention 20260101T010000Z' >/dev/null
  local kept
  kept=$(find "$dir" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')
  # newest of each of the 3 latest days, 2 latest weeks, 2 latest months, plus the one "just made"
  [ "$kept" = "20260101T010000Z 20260131T130000Z 20260207T130000Z 20260208T130000Z 20260209T130000Z " ] || fail "kept: $kept"
  [ -d "$dir/20260101T010000Z" ] || fail "the backup just made was deleted"
  info "retention kept: $kept"
}

# ------------------------------------------------------------------------------------------ hardened
test_hardened() {
  stack_env "$HARDENED" "docker-compose.yml:docker-compose.hardened.yml:docker/tests/compose.hardened-test.yml"
  export TOLLGATE_CONFIG=./docker/tests/gateway.yaml EGRESS_ALLOW_LIST=./docker/tests/allow-upstream
  compose up -d --build tollgate upstream prometheus >/dev/null 2>"$WORK/hardened-up.log" || { cat "$WORK/hardened-up.log"; compose logs --tail 30; exit 1; }
  wait_health "$(svc_id tollgate)" 150 || { compose logs --tail 30 tollgate egress-proxy; exit 1; }
  local base="http://127.0.0.1:$TOLLGATE_PORT" gw db
  gw=$(svc_id tollgate); db=$(svc_id db)
  # still serves, and reaches the upstream only through the proxy
  expect_chat "$base" "$MASTER_KEY" demo "Hello from the mock"
  expect_chat "$base" "$MASTER_KEY" upstream "fake upstream says hi"
  compose logs egress-proxy 2>&1 | has -i 'upstream' || fail "the proxy did not carry the request"
  local r
  r=$(chat "$base" "$MASTER_KEY" not-allowed)
  case "$r" in 200*) fail "a host outside the allow-list was reached: $r" ;; esac
  # no direct route: the upstream is neither resolvable nor reachable from the gateway
  docker exec "$gw" tollgate health --host upstream --port 8080 --path /count >/dev/null 2>&1 && fail "gateway reaches the upstream directly"
  docker exec "$gw" tollgate health --host "$(ip_of "$(svc_id upstream)")" --port 8080 --path /count >/dev/null 2>&1 \
    && fail "gateway reaches the upstream's address directly"
  # read-only root filesystems, non-root gateway
  for s in tollgate db redis prometheus egress-proxy; do
    [ "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$(svc_id "$s")")" = true ] || fail "$s root filesystem is writable"
  done
  docker exec "$gw" sh -c 'touch /app/x' 2>/dev/null && fail "gateway could write /app"
  docker exec "$gw" sh -c 'touch /tmp/x' || fail "gateway cannot write /tmp"
  [ "$(docker exec "$gw" id -u)" = 65534 ] || fail "gateway uid"
  [ "$(docker inspect -f '{{.HostConfig.CapDrop}}' "$gw")" = "[ALL]" ] || fail "capabilities not dropped"
  [ "$(docker inspect -f '{{.HostConfig.Memory}}' "$gw")" = $((512 * 1024 * 1024)) ] || fail "gateway without its 512m memory limit"
  # the database: reachable on its internal network only
  local dbip
  dbip=$(docker inspect -f "{{(index .NetworkSettings.Networks \"${HARDENED}_backend\").IPAddress}}" "$db")
  docker run --rm --label "$LABEL" --network "${HARDENED}_backend" --entrypoint pg_isready tollgate-standin/postgres:16 -q -t 3 -h "$dbip" \
    || fail "sanity: db not reachable even from its own network"
  for n in "${HARDENED}_frontend" bridge; do
    docker run --rm --label "$LABEL" --network "$n" --entrypoint pg_isready tollgate-standin/postgres:16 -q -t 3 -h "$dbip" \
      && fail "db reachable from network $n"
  done
  info "read-only roots, uid 65534 without capabilities, 512m memory limit, db isolated, upstream only through the allow-listing proxy, serving"

  # a restore run without COMPOSE_FILE recreates db and redis with the files the stack was started
  # with (their containers' label), not with docker-compose.yml alone (which would drop the hardening)
  scripts/backup.sh backup >"$WORK/hardened-backup.log" 2>&1 || fail "backup of the hardened stack: $(tail -n 5 "$WORK/hardened-backup.log")"
  (unset COMPOSE_FILE; scripts/backup.sh restore latest --yes) >"$WORK/hardened-restore.log" 2>&1 \
    || fail "restore of the hardened stack: $(tail -n 5 "$WORK/hardened-restore.log")"
  for s in db redis; do
    [ "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}}' "$(svc_id "$s")")" = "true [ALL]" ] \
      || fail "after a restore, $s lost its hardening"
  done
  wait_health "$(svc_id tollgate)" 90 || fail "the gateway is not healthy after the restore"
  expect_chat "$base" "$MASTER_KEY" upstream "fake upstream says hi"
  info "restore without COMPOSE_FILE keeps the hardened db and redis; the gateway serves again"
}

# ------------------------------------------------------------------------------------------ main
run_test "shellcheck on every script" lint_shell
run_test "Dockerfiles lint" lint_dockerfiles

for tag in default non-root database dev; do
  run_test "build tollgate:$tag" build_image "$tag"
done

# capabilities of this jar, detected once
# (a subcommand is listed under "Commands:" in --help; `X --help` alone exits 0 for any X)
docker run --rm --label "$LABEL" --entrypoint tollgate tollgate:default --help > "$WORK/help.txt" 2>&1
probe() { sed -n '/^Commands:/,$p' "$WORK/help.txt" | has -E "^ +$1( |$)" && echo yes; }
HAS_MIGRATE=$(probe migrate)
HAS_EXPORTER=$(probe metrics-exporter)
HAS_METRICS=""
log "capabilities: migrate=${HAS_MIGRATE:-no} metrics-exporter=${HAS_EXPORTER:-no}"

run_test "compose files lint" lint_compose

docker network create --label "$LABEL" "$NET" >/dev/null
crun --name "$UPSTREAM" --network "$NET" --network-alias upstream -v "$HERE/fake-upstream:/fake:ro" \
  "$JDK_BASE" java /fake/FakeUpstream.java 8080 >/dev/null
crun --name "pg-$RUN_ID" --network "$NET" -e POSTGRES_USER=tollgate -e POSTGRES_PASSWORD=tollgate -e POSTGRES_DB=images \
  tollgate-standin/postgres:16 >/dev/null
for _ in $(seq 60); do docker exec "pg-$RUN_ID" pg_isready -q -U tollgate 2>/dev/null && break; sleep 1; done
for tag in default non-root database dev; do
  run_test "tollgate:$tag serves (readiness, mock chat, fake upstream, HEALTHCHECK)" test_image_serves "$tag"
done
for tag in default non-root database; do
  run_test "tollgate:$tag starts with its AOT cache" test_aot_cache "$tag"
done
if curl -sf -o /dev/null "http://$(ip_of "img-default-$RUN_ID"):4000/metrics"; then HAS_METRICS=yes; fi
log "capabilities: /metrics=${HAS_METRICS:-no}"
run_test "non-root: uid 65534 gid 0, nothing written outside /tmp" test_nonroot_identity
run_test "non-root: structure checks (docker/tests/nonroot.yaml)" test_nonroot_structure
for tag in default non-root database dev; do
  run_test "tollgate:$tag drains on docker stop and exits 0" test_image_drains "$tag"
done
run_test "deploy/Dockerfile.ghcr_base: image + config.yaml serves" test_ghcr_base
run_test "prod_entrypoint: USE_OTEL / USE_DDTRACE agents, --detailed_debug" test_agents_and_flags
run_test "non-root: --read-only, noexec /tmp, an arbitrary uid; HEALTHCHECK follows the database" test_nonroot_readonly_arbitrary_uid
run_test "every image writes a new volume at the spend-journal path and at /app/data" test_journal_mount_point
run_test "non-root: starts with --network none, listens on PORT" test_nonroot_no_network

run_test "entrypoint: no DATABASE_URL or an unusable one, clear refusal at once" test_entrypoint_no_database_url
run_test "entrypoint: database down longer than the retry window, docker stop while waiting" test_entrypoint_db_down database query
# the non-root image has no pg_isready: the entrypoint retries the migration itself
run_test "entrypoint: database down, image without pg_isready (non-root), docker stop while migrating" test_entrypoint_db_down non-root userinfo --entrypoint docker/entrypoint.sh
run_test "entrypoint: a failing migration never serves" test_entrypoint_broken_migration
run_test "entrypoint: migrates (credentials in the URL's query string), then serves" test_entrypoint_migrates
docker ps -aq --filter "label=$LABEL" --filter "name=img-" | xargs -r docker rm -f >/dev/null

STACK="tgs$RUN_ID"; projects+=("$STACK")
TOLLGATE_PORT=$(free_port); PROMETHEUS_PORT=$(free_port); GRAFANA_PORT=$(free_port)
export TOLLGATE_PORT PROMETHEUS_PORT GRAFANA_PORT
run_test "compose: stack up, healthy, serving on 127.0.0.1" test_stack_up
run_test "compose: the gateway migrated PostgreSQL at start" test_stack_migrated
run_test "compose: Grafana dashboards' PromQL evaluates in the stack's Prometheus" test_dashboards_evaluate
run_test "compose: Prometheus scrapes the gateway" test_prometheus_scrapes
run_test "compose: Prometheus scrapes the metrics exporter" test_exporter_scraped
run_test "compose: a key survives restart and down/up" test_key_survives_restart
run_test "compose: spend journaled while PostgreSQL is down reaches it from a new container" test_spend_survives_new_container
run_test "compose: two replicas migrate one empty database" test_two_replicas_migrate
run_test "docker-safe.sh: dangerous commands refused without confirmation" test_docker_safe_refuses
run_test "docker-safe.sh: safe commands pass through with their exit code" test_docker_safe_passes_through
run_test "backup drill: backup, down -v, restore" test_backup_drill
run_test "docker-safe.sh: confirmed down -v takes a backup first" test_docker_safe_confirmed
run_test "backup.sh: retention keeps daily/weekly/monthly and the newest" test_retention

HARDENED="tgh$RUN_ID"; projects+=("$HARDENED")
TOLLGATE_PORT=$(free_port); PROMETHEUS_PORT=$(free_port)
run_test "hardened: read-only, isolated db, egress only through the proxy, serving" test_hardened

log "images: $(for t in default non-root database dev; do docker image inspect -f "tollgate:$t {{.Size}}" "tollgate:$t" 2>/dev/null | awk '{printf "%s %.0f MB; ", $1, $2/1e6}'; done)"
log "suite took $(( $(date +%s) - suite_start ))s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
