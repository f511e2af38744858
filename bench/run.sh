#!/usr/bin/env bash
# Tollgate's load benchmark, one command: bench/run.sh  (bench/README.md explains what and why)
#
# Three targets in front of the same fake upstream, measured in one run and interleaved:
#   direct   - the fake upstream itself (nginx serving canned OpenAI JSON / SSE)
#   nginx    - an nginx reverse proxy in front of it (the practical limit of one HTTP hop)
#   tollgate - the gateway, with master-key auth and routing (and whatever the config turns on)
#
#   bench/run.sh             the benchmark; table on stdout and in bench/results/
#   bench/run.sh --profile   JFR profile of Tollgate under 64 connections (JSON, then SSE)
#
# Knobs (environment): ROUNDS=3 DURATION=8 (seconds per run) WARMUP=20 (seconds of JSON, then of SSE, before measuring) RATE=2000 CONNS="64 512"
# SCENARIOS="closed rate ttfb slow" (wrk; open loop; first byte; delayed upstream)
# SLOW_CONNS=512 SLOW_DELAY_MS=100 STARTUPS=3 GEN_CPU=0 SRV_CPU=1
# TOLLGATE_JAVA_OPTS="$IMAGE_JVM_OPTS" (the container images' heap flags; "" for the JVM's defaults)
# AOT=1 (JDK 25+: a training run first writes an AOT cache of classes and method profiles, as the
# images do at build time, and every start uses it; AOT=0 to start cold)
# BASELINE_JAR=path/to/older/tollgate.jar adds a fourth target, "baseline": that build, interleaved
# with the others, to see what a change did.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=bench
[ "${1:-}" = "--profile" ] && MODE=profile

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
WARMUP=${WARMUP:-20}
RATE=${RATE:-2000}
CONNS=${CONNS:-"64 512"}
SLOW_CONNS=${SLOW_CONNS:-512}
SLOW_DELAY_MS=${SLOW_DELAY_MS:-100}
STARTUPS=${STARTUPS:-3}
SCENARIOS=${SCENARIOS:-"closed rate ttfb slow"}
GEN_CPU=${GEN_CPU:-0}
SRV_CPU=${SRV_CPU:-1}
# the flags of the container images (docker/tollgate --jvm-options), with -Xmx256m for their share
# of the container's memory; like the images, the gateway runs with one glibc malloc arena
# (MALLOC_ARENA_MAX=1, exported below) trimmed every 5 s
IMAGE_JVM_OPTS="$(TOLLGATE_JVM_OPTS='' sh docker/tollgate --jvm-options | sed 's/-XX:MaxRAMPercentage=[0-9.]*/-Xmx256m/') -XX:TrimNativeHeapInterval=5000"
TOLLGATE_JAVA_OPTS=${TOLLGATE_JAVA_OPTS-$IMAGE_JVM_OPTS}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-1}
AOT=${AOT:-1}
KEY=sk-bench-master-key
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"

say() { echo "bench: $*" >&2; }

# --- what the benchmark needs: wrk and nginx from Debian, a JDK 21+, the jar ------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]} (apt-get)"
  SUDO=; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null \
    || { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}" >/dev/null; }
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
command -v taskset >/dev/null || { say "taskset (util-linux) is missing"; exit 1; }

java_ok() { [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; }
if [ -z "${JAVA_HOME:-}" ] || ! java_ok "$JAVA_HOME"; then
  JAVA_HOME=
  for candidate in /usr/lib/jvm/*; do
    if java_ok "$candidate"; then JAVA_HOME=$candidate; fi   # the last (newest) one wins
  done
  [ -n "$JAVA_HOME" ] || { say "needs a JDK 21+ (set JAVA_HOME)"; exit 1; }
fi
export JAVA_HOME
JAVA=$JAVA_HOME/bin/java
JAR=$ROOT/target/tollgate.jar
if [ ! -f "$JAR" ]; then
  say "building $JAR"
  ./mvnw -q -B package -DskipTests
fi

# command prefixes (arrays, not functions, so that $! of a background job is the server itself)
if [ "$(nproc)" -lt 2 ]; then
  say "only one CPU: generator and servers share it (no pinning)"
  PIN_GEN=()
  PIN_SRV=()
else
  PIN_GEN=(taskset -c "$GEN_CPU")
  PIN_SRV=(taskset -c "$SRV_CPU")
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

# --- a private temp dir; everything started here is stopped at exit --------------------------
T=$(mktemp -d "${TMPDIR:-/tmp}/tollgate-bench.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  [ -n "${KEEP_TMP:-}" ] && say "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    ss -Htln "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

wait_http() {  # url, seconds[, pid]: polls until the URL answers 2xx (fails early when pid died)
  local deadline=$((SECONDS + $2))
  until curl -sf -o /dev/null "$1"; do
    [ -z "${3:-}" ] || kill -0 "$3" 2>/dev/null || { say "the process serving $1 exited"; return 1; }
    [ $SECONDS -lt $deadline ] || { say "$1 did not come up"; return 1; }
    sleep 0.01
  done
}

UP=$(free_port); PX=$(free_port); SLOW=$(free_port); TG=$(free_port); BASE=$(free_port)

# --- fixtures: canned upstream answers and the request bodies ---------------------------------
FIX=$ROOT/bench/fixtures
for f in chat-completion.json chat-stream.sse; do
  # they are inlined into nginx.conf as '...' strings, where $, ' and \ would mean something
  if grep -q "[\$'\\\\]" "$FIX/$f"; then say "$f must not contain \$, ' or \\"; exit 1; fi
done
request() {  # model, stream
  printf '{"model":"%s","stream":%s,"messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Say something about foxes and dogs, in one sentence."}],"max_tokens":64,"temperature":0.2}' "$1" "$2"
}
request bench-json false >"$T/json.body"
request bench-sse true >"$T/sse.body"
request bench-slow true >"$T/slow.body"

# --- servers, all pinned to SRV_CPU -----------------------------------------------------------
nginx_conf() {  # dir, server block(s)
  mkdir -p "$1"
  cat >"$1/nginx.conf" <<EOF
daemon off;
worker_processes 1;
worker_rlimit_nofile 65536;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $1/body;
  proxy_temp_path $1/proxy;
  fastcgi_temp_path $1/fastcgi;
  uwsgi_temp_path $1/uwsgi;
  scgi_temp_path $1/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 300s;
$2
}
EOF
}

# the fast upstream: canned chat.completion JSON, and an SSE stream sent chunked (sub_filter drops
# the Content-Length, so nginx sends Transfer-Encoding: chunked like a streaming model server)
nginx_conf "$T/upstream" "
  server {
    listen 127.0.0.1:$UP backlog=4096;
    location /json/ {
      default_type application/json;
      return 200 '$(cat "$FIX/chat-completion.json")';
    }
    location /sse/ {
      default_type text/event-stream;
      sub_filter_types text/event-stream;
      sub_filter '#never#' '';
      return 200 '$(cat "$FIX/chat-stream.sse")
';
    }
  }"

# the reverse proxy: keep-alive to the upstreams, no buffering (streams relayed as they come)
nginx_conf "$T/proxy" "
  upstream fast { server 127.0.0.1:$UP; keepalive 1024; keepalive_requests 10000000; }
  upstream slow { server 127.0.0.1:$SLOW; keepalive 1024; keepalive_requests 10000000; }
  server {
    listen 127.0.0.1:$PX backlog=4096;
    proxy_http_version 1.1;
    proxy_set_header Connection \"\";
    proxy_buffering off;
    location / { proxy_pass http://fast; }
    location /slow/ { proxy_pass http://slow/; }
  }"

cat >"$T/tollgate.yaml" <<EOF
model_list:
  - model_name: bench-json
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$UP/json/v1", api_key: sk-upstream}
  - model_name: bench-sse
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$UP/sse/v1", api_key: sk-upstream}
  - model_name: bench-slow
    litellm_params: {model: openai/gpt-4o-mini, api_base: "http://127.0.0.1:$SLOW/v1", api_key: sk-upstream}
litellm_settings:
  # metrics on, as in production (reported as ignored while Tollgate has no metrics yet)
  callbacks: ["prometheus"]
general_settings:
  master_key: $KEY
  database_path: $T/tollgate.db
  spend_journal_dir: $T/spend-journal
EOF

say "compiling the load generator and the delayed upstream"
"$JAVA_HOME/bin/javac" -nowarn -cp "$JAR" -d "$T/classes" bench/OpenLoop.java bench/DelayedUpstream.java bench/Report.java bench/JfrTop.java
GEN_CP="$JAR:$T/classes"

"${PIN_SRV[@]}" "$NGINX" -p "$T/upstream" -c "$T/upstream/nginx.conf" & PIDS+=($!)
"${PIN_SRV[@]}" "$NGINX" -p "$T/proxy" -c "$T/proxy/nginx.conf" & PIDS+=($!)
NGINX_PROXY_PID=$!
"${PIN_SRV[@]}" "$JAVA" --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -Xmx256m -cp "$GEN_CP" DelayedUpstream "$SLOW" "$SLOW_DELAY_MS" "$FIX/chat-stream.sse" \
  >"$T/delayed.log" 2>&1 & PIDS+=($!)

TG_PID=
STARTUP_MS=
start_tollgate() {  # extra JVM options...; sets TG_PID and STARTUP_MS (exec to ready)
  local t0 t1
  t0=$(date +%s%N)
  # shellcheck disable=SC2086
  "${PIN_SRV[@]}" "$JAVA" $TOLLGATE_JAVA_OPTS "$@" -jar "$JAR" --config "$T/tollgate.yaml" --host 127.0.0.1 --port "$TG" \
    >>"$T/tollgate.log" 2>&1 &
  TG_PID=$!
  PIDS+=("$TG_PID")
  if ! wait_http "http://127.0.0.1:$TG/health/readiness" 60 "$TG_PID"; then
    tail -20 "$T/tollgate.log" >&2
    exit 1
  fi
  t1=$(date +%s%N)
  STARTUP_MS=$(((t1 - t0) / 1000000))
}
stop_tollgate() {
  kill "$TG_PID" 2>/dev/null || true
  wait "$TG_PID" 2>/dev/null || true
}

wait_http "http://127.0.0.1:$UP/json/v1/chat/completions" 10 || true
wait_http "http://127.0.0.1:$PX/json/v1/chat/completions" 10 || true
for _ in $(seq 500); do grep -q ready "$T/delayed.log" && break; sleep 0.02; done

TARGETS=(direct nginx tollgate)
url() {  # target, kind (json|sse|slow)
  case "$1:$2" in
    direct:slow) echo "http://127.0.0.1:$SLOW/v1/chat/completions" ;;
    direct:*) echo "http://127.0.0.1:$UP/$2/v1/chat/completions" ;;
    nginx:*) echo "http://127.0.0.1:$PX/$2/v1/chat/completions" ;;
    tollgate:*) echo "http://127.0.0.1:$TG/v1/chat/completions" ;;
    baseline:*) echo "http://127.0.0.1:$BASE/v1/chat/completions" ;;
  esac
}

smoke() {  # every target answers every kind the way the benchmark expects
  local target kind out
  for target in "${TARGETS[@]}"; do
    for kind in json sse slow; do
      out=$(curl -sS -m 10 "$(url $target $kind)" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
        --data-binary @"$T/$kind.body")
      case "$kind" in
        json) grep -q '"chat.completion"' <<<"$out" ;;
        *) grep -q 'data: \[DONE\]' <<<"$out" ;;
      esac || { say "$target/$kind answered unexpectedly: ${out:0:300}"; tail -20 "$T/tollgate.log" >&2; exit 1; }
    done
  done
}

wrk_run() {  # target, kind, connections
  BENCH_KEY=$KEY BENCH_BODY="$T/$2.body" "${PIN_GEN[@]}" wrk -t1 -c"$3" -d"${DURATION}s" --timeout 5s \
    -s "$ROOT/bench/wrk-post.lua" "$(url "$1" "$2")" | grep '^RESULT'
}
# The Java generator's own hiccups would count as the servers' latency: its JIT compiling on its
# core after a short warm-up made the p99 of nginx straight 2-5 ms. C1 alone finishes compiling
# within a second; a young generation the run cannot fill means no collection while it measures.
GEN_JVM=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xms1g -Xmx1g -Xmn900m -XX:+AlwaysPreTouch)
gen_run() {  # target, kind, mode-specific key=value...
  "${PIN_GEN[@]}" "$JAVA" --enable-native-access=ALL-UNNAMED "${GEN_JVM[@]}" -cp "$GEN_CP" OpenLoop url="$(url "$1" "$2")" body="$T/$2.body" \
    bearer="$KEY" "${@:3}" | grep '^RESULT'
}

# --- RSS of the gateway (and of the nginx proxy, for scale), sampled in the background ---------
# Bash builtins only: a sampler that forked awk, pgrep and sleep (a dozen processes every 250 ms)
# added 0.6 ms to every target's p99 at 2,000 req/s.
rss_kb() {  # the summed VmRSS of the given pids, into RSS_KB (a $(...) would fork)
  local p key kb _
  RSS_KB=0
  for p in "$@"; do
    while read -r key kb _; do
      if [ "$key" = VmRSS: ]; then RSS_KB=$((RSS_KB + kb)); break; fi
    done 2>/dev/null <"/proc/$p/status" || true
  done
}
sample_rss() {
  local phase tg nginx tick
  mapfile -t nginx < <(echo "$NGINX_PROXY_PID"; pgrep -P "$NGINX_PROXY_PID" || true) # master and workers, fixed from start
  mkfifo "$T/tick.$BASHPID"
  exec {tick}<>"$T/tick.$BASHPID" # a pipe nobody writes to: read -t on it is a sleep without a process
  while kill -0 "$TG_PID" 2>/dev/null; do
    phase=; read -r phase 2>/dev/null <"$T/phase" || true
    rss_kb "$TG_PID"; tg=$RSS_KB
    rss_kb "${nginx[@]}"
    echo "phase=$phase tollgate_kb=$tg nginx_kb=$RSS_KB" >>"$T/rss.log"
    read -r -t 0.25 -u "$tick" _ || true
  done
}

# --- AOT cache (JDK 25+): what the images build in (Dockerfile), trained here the same way -------
if [ "$AOT" = 1 ] && "$JAVA" -XX:AOTMode=off -version >/dev/null 2>&1 && "$JAVA" -version 2>&1 | grep -qE 'version "(2[5-9]|[3-9][0-9])'; then
  say "AOT cache: a training run (JSON and SSE, ${AOT_TRAIN_SECONDS:-4}s each), then every start uses it"
  start_tollgate "-XX:AOTCacheOutput=$T/tollgate.aot"
  for kind in json sse; do
    BENCH_KEY=$KEY BENCH_BODY="$T/$kind.body" "${PIN_GEN[@]}" wrk -t1 -c16 -d"${AOT_TRAIN_SECONDS:-4}s" \
      -s "$ROOT/bench/wrk-post.lua" "$(url tollgate "$kind")" >/dev/null
  done
  stop_tollgate   # the JVM writes the cache on its way out
  [ -s "$T/tollgate.aot" ] || { say "the AOT cache was not written"; tail -5 "$T/tollgate.log" >&2; exit 1; }
  TOLLGATE_JAVA_OPTS="$TOLLGATE_JAVA_OPTS -XX:AOTCache=$T/tollgate.aot"
  rm -rf "$T/tollgate.db"* "$T/spend-journal"   # the measured starts begin from an empty database
fi

if [ "$MODE" = profile ]; then
  OUT=$RESULTS/profile-$STAMP
  mkdir -p "$OUT"
  start_tollgate "-XX:StartFlightRecording=filename=$OUT/tollgate.jfr,settings=profile"
  smoke
  for kind in json sse; do
    say "profiling: $kind, 64 connections, ${DURATION}s x 2"
    wrk_run tollgate "$kind" 64 >/dev/null   # warm-up
    wrk_run tollgate "$kind" 64 | tee -a "$OUT/wrk.txt"
  done
  stop_tollgate
  "$JAVA" -cp "$T/classes" JfrTop "$OUT/tollgate.jfr" | tee "$OUT/top.txt"
  say "profile in $OUT (open tollgate.jfr in JDK Mission Control, or: jfr view hot-methods $OUT/tollgate.jfr)"
  exit 0
fi

# --- the benchmark ----------------------------------------------------------------------------
RAW=$T/raw.txt
record() {  # scenario, target, round, RESULT line
  echo "scenario=$1 target=$2 round=$3 load=$(cut -d' ' -f1 /proc/loadavg) ${4#RESULT }" >>"$RAW"
}
echo "meta stamp=$STAMP cpus=$(nproc) gen_cpu=$GEN_CPU srv_cpu=$SRV_CPU rounds=$ROUNDS duration=$DURATION" \
  "java=$("$JAVA" -version 2>&1 | head -1 | tr ' ' '_') tollgate_java_opts=${TOLLGATE_JAVA_OPTS// /_}" >"$RAW"
echo "meta uptime_start=$(uptime | sed 's/.*load average: //; s/ //g')" >>"$RAW"
# a running Docker engine (its iptables and conntrack rules on every loopback packet, its timers)
# took 13 % off Tollgate's c64 throughput and 3.5 % off nginx's in one pair of runs (bench/README.md)
if pgrep -x dockerd >/dev/null || pgrep -x containerd >/dev/null; then
  say "dockerd/containerd is running: the figures will be lower than on a quiet machine"
  echo "note dockerd or containerd was running during this benchmark: stop them for figures comparable with bench/README.md" >>"$RAW"
fi

say "start-up: $STARTUPS fresh starts, process start to /health/readiness"
for i in $(seq "$STARTUPS"); do
  start_tollgate
  rss_kb "$TG_PID"
  echo "startup ms=$STARTUP_MS rss_idle_kb=$RSS_KB" >>"$RAW"
  stop_tollgate
done
start_tollgate
sample_rss & PIDS+=($!)
if [ -n "${BASELINE_JAR:-}" ]; then
  # shellcheck disable=SC2086
  "${PIN_SRV[@]}" "$JAVA" $TOLLGATE_JAVA_OPTS -jar "$BASELINE_JAR" --config "$T/tollgate.yaml" --host 127.0.0.1 \
    --port "$BASE" >"$T/baseline.log" 2>&1 & PIDS+=($!)
  wait_http "http://127.0.0.1:$BASE/health/readiness" 30
  TARGETS+=(baseline)
  echo "meta baseline=$BASELINE_JAR" >>"$RAW"
fi
smoke
echo warmup >"$T/phase"
# a JVM compiles its hot paths under load, and on one shared core that takes a while: measure the
# steady state a gateway spends its life in, not the first seconds after a deploy
say "warm-up: ${TARGETS[*]:2}, ${WARMUP}s JSON + ${WARMUP}s SSE at 64 connections (not recorded)"
for target in "${TARGETS[@]:2}"; do
  DURATION=$WARMUP wrk_run "$target" json 64 >/dev/null
  DURATION=$WARMUP wrk_run "$target" sse 64 >/dev/null
done

interleaved() {  # scenario, command...: each round runs every target, starting with a different one
  local scenario=$1 n=${#TARGETS[@]} r i target
  shift
  echo "$scenario" >"$T/phase"
  for r in $(seq "$ROUNDS"); do
    for i in $(seq 0 $((n - 1))); do
      target=${TARGETS[$(((i + r - 1) % n))]}
      say "$scenario round $r: $target"
      record "$scenario" "$target" "$r" "$("$@" "$target")"
    done
  done
}
wrk_scenario() { wrk_run "$3" "$1" "$2"; }
# 5 s of warm-up: a server's JIT recompiles for a steady trickle of requests after the closed loops
rate_scenario() { gen_run "$2" "$1" mode=rate rate="$RATE" seconds="$DURATION" warmup=5; }
streams_scenario() { gen_run "$3" "$1" mode=streams connections="$2" seconds="$DURATION" warmup=1; }

wants() { [[ " $SCENARIOS " == *" $1 "* ]]; }
if wants closed; then
  for c in $CONNS; do
    interleaved "json-c$c" wrk_scenario json "$c"
    interleaved "sse-c$c" wrk_scenario sse "$c"
  done
fi
if wants rate; then
  interleaved "json-rate$RATE" rate_scenario json
  interleaved "sse-rate$RATE" rate_scenario sse
fi
wants ttfb && interleaved "sse-ttfb-c1" streams_scenario sse 1
if wants slow; then
  say "warm-up: the delayed upstream (not recorded)"
  streams_scenario slow "$SLOW_CONNS" direct >/dev/null
  interleaved "slow-c$SLOW_CONNS" streams_scenario slow "$SLOW_CONNS"
fi
echo "done" >"$T/phase"
echo "meta uptime_end=$(uptime | sed 's/.*load average: //; s/ //g')" >>"$RAW"
grep . "$T/rss.log" | sed 's/^/rss /' >>"$RAW"
if grep -q 'ignored' "$T/tollgate.log"; then
  grep 'ignored' "$T/tollgate.log" | sed 's/^[0-9:.]* *//' | sort -u | sed 's/^/note /' >>"$RAW"
fi

cp "$RAW" "$RESULTS/$STAMP.raw"
"$JAVA" -cp "$T/classes" Report "$RAW" | tee "$RESULTS/$STAMP.txt"
say "results in bench/results/$STAMP.txt (raw measurements: $STAMP.raw)"
