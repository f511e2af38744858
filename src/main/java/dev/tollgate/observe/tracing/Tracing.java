package dev.tollgate.observe.tracing;

import dev.tollgate.config.Environment;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenTelemetry SDK of one gateway, exporting spans over OTLP (HTTP/protobuf, sent with the
 * JDK's HttpClient) in batches off the request path. Configured by the standard variables:
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} (base URL, {@code /v1/traces} appended) or
 * {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} (full URL), {@code OTEL_EXPORTER_OTLP_HEADERS}
 * ({@code k=v,k2=v2}), {@code OTEL_SERVICE_NAME}, {@code OTEL_BSP_SCHEDULE_DELAY} (ms).
 */
public final class Tracing implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Tracing.class);
  private final SdkTracerProvider provider;
  private final Tracer tracer;

  private Tracing(SdkTracerProvider provider) {
    this.provider = provider;
    this.tracer = provider.get("dev.tollgate", dev.tollgate.Version.VERSION);
  }

  public static Tracing fromEnvironment(Environment env) {
    String endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").orElseGet(() ->
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT").map(base -> base.replaceAll("/+$", "") + "/v1/traces")
            .orElse("http://localhost:4318/v1/traces"));
    String protocol = env.first("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL").orElse("http/protobuf");
    if (!protocol.equals("http/protobuf")) {
      log.warn("OTEL_EXPORTER_OTLP_PROTOCOL={} is not supported: Tollgate exports OTLP over http/protobuf (collector port 4318)", protocol);
    }
    OtlpHttpSpanExporterBuilder exporter = OtlpHttpSpanExporter.builder().setEndpoint(endpoint).setTimeout(Duration.ofSeconds(10));
    env.first("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS").ifPresent(headers -> {
      for (String pair : headers.split(",")) {
        int eq = pair.indexOf('=');
        if (eq > 0) {
          exporter.addHeader(pair.substring(0, eq).trim(), pair.substring(eq + 1).trim());
        }
      }
    });
    long delayMs = env.get("OTEL_BSP_SCHEDULE_DELAY").map(Long::parseLong).orElse(5000L);
    Resource resource = Resource.getDefault().merge(Resource.create(Attributes.of(
        io.opentelemetry.api.common.AttributeKey.stringKey("service.name"), env.get("OTEL_SERVICE_NAME").orElse("tollgate"))));
    SdkTracerProvider provider = SdkTracerProvider.builder().setResource(resource)
        .addSpanProcessor(BatchSpanProcessor.builder(exporter.build()).setScheduleDelay(Duration.ofMillis(delayMs)).build())
        .build();
    log.info("tracing: OTLP spans to {}", endpoint);
    return new Tracing(provider);
  }

  public Tracer tracer() {
    return tracer;
  }

  /** Sends what is buffered, then stops. */
  @Override
  public void close() {
    provider.shutdown().join(10, TimeUnit.SECONDS);
  }
}
