#!/usr/bin/env bash
# Builds local stand-ins for the public base images (no registry is reachable here) and reuses
# the ones already present. Names: tollgate-standin/<image>:<tag>; run.sh passes them to the
# Dockerfiles and the compose files through build args and image variables.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${TOLLGATE_STANDIN_WORK:-/var/tmp/tollgate-standins}
jdk=${STANDIN_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}

have() { docker image inspect "$1" >/dev/null 2>&1; }

if ! have tollgate-standin/debian:bookworm-slim; then
  echo "standins: debootstrap bookworm (about a minute)"
  rootfs="$work/rootfs"
  rm -rf "$rootfs"; mkdir -p "$work"
  debootstrap --variant=minbase bookworm "$rootfs" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/archives/*.deb
  tar -C "$rootfs" -c . | docker import -c 'CMD ["bash"]' -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    - tollgate-standin/debian:bookworm-slim >/dev/null
  rm -rf "$rootfs"
fi

build() { # build NAME DOCKERFILE [context]
  local name=$1 file=$2 ctx=${3:-$here/standins}
  have "$name" && return 0
  echo "standins: building $name"
  docker build -q -t "$name" -f "$here/standins/$file" "$ctx" >/dev/null
}

if ! have tollgate-standin/maven:3.9-eclipse-temurin; then
  ctx="$work/jdk-context"; rm -rf "$ctx"; mkdir -p "$ctx"
  cp "$here/standins/Dockerfile.jdk" "$ctx/"
  cp -rL "$jdk" "$ctx/jdk"   # -L: the JDK's cacerts is a link into /etc/ssl
  echo "standins: building tollgate-standin/maven:3.9-eclipse-temurin"
  docker build -q -t tollgate-standin/maven:3.9-eclipse-temurin -f "$ctx/Dockerfile.jdk" "$ctx" >/dev/null
  rm -rf "$ctx"
fi
build tollgate-standin/postgres:16 Dockerfile.postgres
build tollgate-standin/redis:7 Dockerfile.redis
build tollgate-standin/prometheus:latest Dockerfile.prometheus
build tollgate-standin/proxy:latest Dockerfile.proxy
