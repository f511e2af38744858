#!/usr/bin/env bash
# Health port isolation: p99 of /health/liveliness on SEPARATE_HEALTH_PORT while the main port holds
# STREAMS (default 1000) slow streams. Usage: bench/health-isolation.sh  (STREAMS=N PROBES=N to change)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
[ -f target/tollgate.jar ] || ./mvnw -q -B package -DskipTests
"$JAVA_HOME/bin/java" -cp target/tollgate.jar bench/HealthIsolationBench.java target/tollgate.jar
