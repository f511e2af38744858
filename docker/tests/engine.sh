#!/usr/bin/env bash
# Makes sure a Docker engine answers: installs Debian's docker.io / docker-compose and starts
# dockerd in the background when needed; reuses an engine that already runs. Idempotent.
set -euo pipefail

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v docker-compose >/dev/null || need+=(docker-compose)
command -v debootstrap >/dev/null || need+=(debootstrap)
command -v shellcheck >/dev/null || need+=(shellcheck)
command -v jq >/dev/null || need+=(jq)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  echo "engine: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi
echo "engine: starting dockerd (log: /var/log/tollgate-dockerd.log)"
nohup dockerd >/var/log/tollgate-dockerd.log 2>&1 &
for _ in $(seq 60); do
  if docker info >/dev/null 2>&1; then exit 0; fi
  sleep 1
done
echo "engine: dockerd did not answer within 60 s; see /var/log/tollgate-dockerd.log" >&2
exit 1
