#!/usr/bin/env bash
# Runs every test, fastest first so that a failure shows early:
#  1. ./mvnw verify: unit and in-process end-to-end tests (surefire), then the suites that start
#     real processes, PostgreSQL and Redis (failsafe, *IT).
#  2. docker/tests/run.sh: the deployment suite on a real Docker engine (when present).
# PostgreSQL must be reachable as described in .ci/services.sh; `sudo bash .ci/run` sets up everything.
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -B -ntp verify

# No secret in anything the suites printed: every key the tests use (master, virtual, provider)
# has the sk-... shape, so one in the captured output of any test is a leak.
leaks=$(grep -lE 'sk-[A-Za-z0-9_-]{6,}' target/surefire-reports/*-output.txt target/failsafe-reports/*-output.txt 2>/dev/null || true)
if [ -n "$leaks" ]; then
  echo "secret scan: key-shaped strings in the output of: $leaks" >&2
  exit 1
fi
echo "secret scan: no key in the captured output of $(find target/surefire-reports target/failsafe-reports -name "*-output.txt" 2>/dev/null | wc -l) test classes"
if [ -x docker/tests/run.sh ]; then
  docker/tests/run.sh
fi
