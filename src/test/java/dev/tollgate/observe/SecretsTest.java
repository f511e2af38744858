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

  @Test
  void maskedHidesCredentialNamesAtAnyDepthHeaderCredentialsAndUrlPasswordsOnly() throws Exception {
    var params = dev.tollgate.json.Json.MAPPER.readTree("""
        {"model": "azure/d", "api_key": "k1", "client_secret": "k2", "azure_ad_token": "k3", "aws_session_token": "k4",
         "vertex_credentials": {"private_key": "k5"}, "db_password": "k6", "litellm_credential_name": "k7",
         "api_base": "https://user:k8@example.com:8443/v1", "other_base": "https://example.com/v1", "git_base": "https://ghp_k13@git.example.com/v1", "max_tokens": 64,
         "extra_headers": {"Authorization": "Bearer k9", "Cookie": "k10", "X-Api-Key": "k11", "x-auth-token": "k12", "X-Trace": "shown"}}
        """);
    var masked = Secrets.masked(params);
    assertThat(masked.toString()).doesNotContainPattern("\\bk\\d+\\b");
    assertThat(masked.get("model").asText()).isEqualTo("azure/d");
    assertThat(masked.get("api_key").asText()).isEqualTo(Secrets.HIDDEN);
    assertThat(masked.get("api_base").asText()).isEqualTo("https://user:***@example.com:8443/v1");
    assertThat(masked.get("other_base").asText()).isEqualTo("https://example.com/v1");
    assertThat(masked.get("git_base").asText()).as("a user alone is often a token").isEqualTo("https://***@git.example.com/v1");
    assertThat(masked.get("max_tokens").asInt()).isEqualTo(64);
    assertThat(masked.at("/extra_headers/X-Trace").asText()).isEqualTo("shown");
    assertThat(params.get("api_key").asText()).as("the input is left as it was").isEqualTo("k1");
  }
}
