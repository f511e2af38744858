package dev.tollgate.provider;

/** The OpenAI API operations a client can call through the gateway. */
public enum Endpoint {
  CHAT("chat/completions", "acompletion"),
  COMPLETIONS("completions", "atext_completion"),
  EMBEDDINGS("embeddings", "aembedding"),
  /** Anthropic's Messages API, forwarded natively to an Anthropic deployment ({@code /v1/messages}). */
  MESSAGES("messages", "anthropic_messages");

  private final String path;
  private final String callType;

  Endpoint(String path, String callType) {
    this.path = path;
    this.callType = callType;
  }

  /** The path below an OpenAI base URL, e.g. {@code chat/completions}. */
  public String path() {
    return path;
  }

  /** LiteLLM's call_type name, as spend logs and metrics label it. */
  public String callType() {
    return callType;
  }
}
