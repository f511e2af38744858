#!/usr/bin/env bash
# Runs every test, fastest first so that a failure shows early:
#  1. ./mvnw verify: unit and in-process end-to-end tests (surefire), then the suites that start
#     real processes, PostgreSQL and Redis (failsafe, *IT).
#  2. docker/tests/run.sh: the deployment suite on a real Docker engine (when present).
# PostgreSQL must be reachable as described in .ci/services.sh; `sudo bash .ci/run` sets up everything.
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -B -ntp verify
if [ -x docker/tests/run.sh ]; then
  docker/tests/run.sh
fi
