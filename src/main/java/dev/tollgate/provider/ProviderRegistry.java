package dev.tollgate.provider;

import dev.tollgate.provider.mock.MockProvider;
import java.util.IdentityHashMap;
import java.util.Map;

/** The provider adapters of one event loop, one per wire format, created on first use. */
public final class ProviderRegistry {
  private final ProviderContext context;
  private final Map<ProviderFamily.ProviderFactory, Provider> byFactory = new IdentityHashMap<>();

  public ProviderRegistry(ProviderContext context) {
    this.context = context;
  }

  /** The adapter for a call: the mock when the deployment or the request asks for {@code mock_response}. */
  public Provider forCall(Deployment deployment, boolean requestHasMock) {
    if (requestHasMock || deployment.mockResponse().isPresent()) {
      return MockProvider.INSTANCE;
    }
    return byFactory.computeIfAbsent(deployment.family().factory(), f -> f.create(context));
  }
}
