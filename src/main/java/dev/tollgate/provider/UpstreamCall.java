package dev.tollgate.provider;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;

/**
 * One attempt at one deployment. {@code body} is the client's OpenAI request, with defaults of
 * the deployment merged in and {@code model} still the client's name; adapters set the upstream
 * model themselves. {@code dropParams} says whether parameters the provider does not take are
 * dropped (else refused, see {@link RequestParams}). {@code cancellation} tells the adapter when
 * the client went away.
 */
public record UpstreamCall(
    Endpoint endpoint,
    Deployment deployment,
    ObjectNode body,
    boolean stream,
    Duration timeout,
    Duration streamTimeout,
    boolean dropParams,
    Cancellation cancellation) {}
