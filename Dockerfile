# Tollgate, default image: built from source, a jlink-trimmed JRE on a slim Debian, non-root.
#
#   docker build -t tollgate .
#   docker run -p 4000:4000 -e LITELLM_MASTER_KEY=sk-... -v ./config.yaml:/app/config.yaml tollgate --config /app/config.yaml
#
# Base images are build arguments, so air-gapped builds can point them at a local mirror.
# Builds with the classic builder as well as BuildKit (no RUN --mount).
ARG BUILD_BASE=maven:3.9-eclipse-temurin-25
# JVM flags instead of docker/tollgate's defaults (`tollgate --jvm-options`); the AOT cache is
# trained with the same flags (they must match)
ARG TOLLGATE_JVM_OPTS=
ARG RUNTIME_BASE=debian:bookworm-slim

# --- dependencies: only pom.xml and the wrapper, so this layer is reused until pom.xml changes
FROM ${BUILD_BASE} AS deps
WORKDIR /src
COPY mvnw pom.xml ./
COPY .mvn .mvn
RUN ./mvnw -B -ntp -q dependency:resolve dependency:resolve-plugins

# --- Java agents, fetched from Maven Central at build time (nothing is downloaded at start)
FROM deps AS agents
ARG DD_AGENT_VERSION=1.68.1
ARG OTEL_AGENT_VERSION=2.33.1
RUN ./mvnw -B -ntp -q dependency:copy -Dmdep.stripVersion=true -DoutputDirectory=/agents \
      -Dartifact=com.datadoghq:dd-java-agent:${DD_AGENT_VERSION} \
 && ./mvnw -B -ntp -q dependency:copy -Dmdep.stripVersion=true -DoutputDirectory=/agents \
      -Dartifact=io.opentelemetry.javaagent:opentelemetry-javaagent:${OTEL_AGENT_VERSION}

# --- a trimmed JRE: the modules the jar needs (jdeps), plus the ones the agents and JDBC use
FROM deps AS jre
ARG JRE_MODULES=java.base,java.logging,java.naming,java.net.http,java.management,java.sql,java.xml,java.instrument,jdk.unsupported,jdk.management,jdk.crypto.ec,jdk.naming.dns,jdk.zipfs,jdk.httpserver
RUN present=$(java --list-modules | sed 's/@.*//' | tr '\n' ' ') \
 && modules=$(for m in $(echo "$JRE_MODULES" | tr ',' ' '); do case " $present " in *" $m "*) printf '%s,' "$m";; esac; done) \
 && jlink --add-modules "${modules%,}" --strip-java-debug-attributes --no-man-pages --no-header-files --compress=zip-6 --output /jre

# --- the gateway jar
FROM deps AS build
COPY src src
RUN ./mvnw -B -ntp -q package -DskipTests && cp target/tollgate.jar /tollgate.jar

# --- AOT cache (JDK 25+; JEP 483/515): a short training run of the gateway on the image's own JRE
# and at its final paths writes the classes it loads, linked, and the profiles of its hot methods;
# starts then take about half the time and reach full speed sooner (docker/AotTraining.java)
FROM deps AS aot
ARG TOLLGATE_JVM_OPTS
COPY --from=jre /jre /opt/java/jre
COPY --from=build /tollgate.jar /app/tollgate.jar
COPY docker/AotTraining.java docker/tollgate /aot/
RUN java /aot/AotTraining.java /opt/java/jre/bin/java /app/tollgate.jar /app/tollgate.aot $(sh /aot/tollgate --jvm-options) \
 && touch /app/tollgate.aot

# --- sqlite-jdbc's native library for this platform, taken out of the jar at build time: the
# launcher (docker/tollgate) loads it from /app/lib, read-only, instead of sqlite-jdbc extracting it
# to /tmp at each start, which fails where /tmp is mounted noexec (docker run --tmpfs /tmp, Kubernetes)
FROM deps AS native
ARG SQLITE_NATIVE_OS=Linux
COPY --from=build /tollgate.jar /tollgate.jar
RUN case "$(uname -m)" in \
      x86_64|amd64) arch=x86_64 ;; aarch64|arm64) arch=aarch64 ;; armv7*) arch=armv7 ;; armv6*) arch=armv6 ;; \
      i?86) arch=x86 ;; ppc64le) arch=ppc64 ;; riscv64) arch=riscv64 ;; *) echo "no sqlite-jdbc library for $(uname -m)" >&2; exit 1 ;; \
    esac \
 && mkdir -p /native-x /native && cd /native-x \
 && jar xf /tollgate.jar "org/sqlite/native/${SQLITE_NATIVE_OS}/${arch}/libsqlitejdbc.so" \
 && mv "org/sqlite/native/${SQLITE_NATIVE_OS}/${arch}/libsqlitejdbc.so" /native/libsqlitejdbc.so \
 && chmod 0444 /native/libsqlitejdbc.so && rm -rf /native-x

# --- runtime
FROM ${RUNTIME_BASE}
ARG TOLLGATE_JVM_OPTS
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Tollgate" \
      org.opencontainers.image.description="OpenAI-compatible LLM gateway, a drop-in replacement for the LiteLLM proxy" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/tollgate/tollgate" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
ENV JAVA_HOME=/opt/java/jre \
    PATH=/opt/java/jre/bin:/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    TOLLGATE_JVM_OPTS="${TOLLGATE_JVM_OPTS}" \
    PORT=4000 \
    TOLLGATE_DB_PATH=/app/data/tollgate.db \
    TOLLGATE_SPEND_JOURNAL_DIR=/app/data/spend-journal
RUN groupadd --system --gid 10001 tollgate && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin tollgate \
    && mkdir -p /app/data /var/lib/tollgate/spend-journal && chown 10001:10001 /app/data /var/lib/tollgate/spend-journal
COPY --from=jre /jre /opt/java/jre
COPY --from=agents /agents /app/agents
COPY docker/tollgate /app/bin/tollgate
COPY docker/prod_entrypoint.sh docker/entrypoint.sh /app/docker/
COPY --from=build /tollgate.jar /app/tollgate.jar
COPY --from=native /native/libsqlitejdbc.so /app/lib/libsqlitejdbc.so
COPY --from=aot /app/tollgate.aot /app/tollgate.aot
WORKDIR /app
USER 10001:10001
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["tollgate", "health"]
ENTRYPOINT ["docker/prod_entrypoint.sh"]
CMD []
