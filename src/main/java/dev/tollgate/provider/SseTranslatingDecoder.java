package dev.tollgate.provider;

import io.vertx.core.buffer.Buffer;

/** A translating decoder for providers that stream Server-Sent Events: one call per complete event. */
public abstract class SseTranslatingDecoder extends TranslatingDecoder {
  private final SseParser parser = new SseParser(this::event);

  protected SseTranslatingDecoder(String provider, String model) {
    super(provider, model);
  }

  /** One complete event: its name (null when absent) and its data. */
  protected abstract void event(String event, Buffer data);

  @Override
  protected final void feed(Buffer bytes) {
    parser.feed(bytes);
  }

  @Override
  protected final void flush() {
    parser.finish();
  }
}
