#!/bin/sh
# Production entrypoint: starts the gateway as PID 1's direct replacement (exec), so SIGTERM from
# `docker stop` reaches the JVM, which drains requests in flight and exits 0.
#
#   USE_DDTRACE=true   Datadog's Java agent (baked into the image at build time, nothing downloaded)
#   USE_OTEL=true      the OpenTelemetry Java agent (OTEL_* variables configure it)
#   JDWP_PORT=5005     a debugger may attach on that port (dev image only: the others' JRE has no JDWP)
#   SEPARATE_HEALTH_APP / SEPARATE_HEALTH_PORT, --detailed_debug and every other argument or
#   variable pass through to the gateway untouched.
set -eu

agents="${TOLLGATE_AGENTS_DIR:-/app/agents}"
javaagent() {
  if [ ! -r "$agents/$1" ]; then
    echo "prod_entrypoint: $2=true but $agents/$1 is not in this image (use the default, non-root or database image)" >&2
    exit 1
  fi
  JAVA_EXTRA_OPTS="${JAVA_EXTRA_OPTS:-} -javaagent:$agents/$1"
}
if [ "${USE_DDTRACE:-false}" = "true" ]; then
  javaagent dd-java-agent.jar USE_DDTRACE
fi
if [ "${USE_OTEL:-false}" = "true" ]; then
  javaagent opentelemetry-javaagent.jar USE_OTEL
fi
if [ -n "${JDWP_PORT:-}" ]; then
  JAVA_EXTRA_OPTS="${JAVA_EXTRA_OPTS:-} -agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:$JDWP_PORT"
fi
export JAVA_EXTRA_OPTS="${JAVA_EXTRA_OPTS:-}"

exec tollgate "$@"
