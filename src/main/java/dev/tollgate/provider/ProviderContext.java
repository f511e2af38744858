package dev.tollgate.provider;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;

/** What a provider adapter needs to make calls: the Vert.x instance and an HTTP client for upstreams. */
public record ProviderContext(Vertx vertx, HttpClient http) {}
