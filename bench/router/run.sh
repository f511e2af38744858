#!/usr/bin/env bash
# The router's added latency with 50 deployments in a group (see RouterBench.java). Builds the jar
# if needed; pass the number of end-to-end requests as the first argument (default 4000).
set -euo pipefail
cd "$(dirname "$0")/../.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[ -f target/tollgate.jar ] || ./mvnw -q -B package -DskipTests
"$JAVA_HOME/bin/java" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dlogback.configurationFile=/dev/null \
  -cp target/tollgate.jar bench/router/RouterBench.java "$@"
