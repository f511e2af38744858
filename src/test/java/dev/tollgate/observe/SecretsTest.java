package dev.tollgate.observe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tollgate.observe.logs.Secrets;
import org.junit.jupiter.api.Test;

class SecretsTest {
  @Test
  void masksRegisteredSecretsAndAnythingShapedLikeAKey() {
    Secrets.register("plain-provider-secret-42");
    assertThat(Secrets.redact("key plain-provider-secret-42 and sk-1234 and Authorization: Bearer abcdefgh12345678 end"))
        .isEqualTo("key [REDACTED] and [REDACTED] and Authorization: Bearer [REDACTED] end");
    assertThat(Secrets.redact("model openai/gpt-4o took 12 ms")).isEqualTo("model openai/gpt-4o took 12 ms");
  }
}
