package dev.tollgate.call;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CallHeadersTest {
  @Test
  void repeatedValuesAreEncodedOnceAndTheCacheStaysBounded() {
    CharSequence first = CallHeaders.repeated("deployment-id-1");
    assertThat(first.toString()).isEqualTo("deployment-id-1");
    assertThat(CallHeaders.repeated("deployment-id-1")).isSameAs(first);
    assertThat(CallHeaders.repeated(null)).isNull();
    // past the bound, values come back as they are instead of growing the cache
    for (int i = 0; i < 2_000; i++) {
      assertThat(CallHeaders.repeated("value-" + i).toString()).isEqualTo("value-" + i);
    }
    String late = "value-after-the-bound";
    assertThat(CallHeaders.repeated(late)).isSameAs(late);
    assertThat(CallHeaders.repeated("deployment-id-1")).isSameAs(first);
  }

  @Test
  void bearerHeaderCarriesTheKey() {
    assertThat(CallHeaders.bearer("sk-upstream").toString()).isEqualTo("Bearer sk-upstream");
    assertThat(CallHeaders.bearer("sk-upstream")).isSameAs(CallHeaders.bearer("sk-upstream"));
  }
}
