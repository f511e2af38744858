package dev.tollgate.observe.metrics;

import java.util.List;

/** LiteLLM's label names and the default label set of each metric (from its Prometheus docs). */
final class Labels {
  private Labels() {}

  static final String END_USER = "end_user";
  static final String HASHED_API_KEY = "hashed_api_key";
  static final String API_KEY_ALIAS = "api_key_alias";
  static final String REQUESTED_MODEL = "requested_model";
  static final String TEAM = "team";
  static final String TEAM_ALIAS = "team_alias";
  static final String USER = "user";
  static final String MODEL = "model";
  static final String STATUS_CODE = "status_code";
  static final String EXCEPTION_STATUS = "exception_status";
  static final String EXCEPTION_CLASS = "exception_class";
  static final String LITELLM_MODEL_NAME = "litellm_model_name";
  static final String MODEL_ID = "model_id";
  static final String API_BASE = "api_base";
  static final String API_PROVIDER = "api_provider";

  /** Python's str(None): what LiteLLM writes for a label it has no value for. */
  static final String NONE = "None";

  static final List<String> PROXY_REQUESTS =
      List.of(END_USER, HASHED_API_KEY, API_KEY_ALIAS, REQUESTED_MODEL, TEAM, TEAM_ALIAS, USER, STATUS_CODE);
  static final List<String> PROXY_FAILED =
      List.of(END_USER, HASHED_API_KEY, API_KEY_ALIAS, REQUESTED_MODEL, TEAM, TEAM_ALIAS, USER, EXCEPTION_STATUS, EXCEPTION_CLASS);
  static final List<String> SPEND = List.of(END_USER, HASHED_API_KEY, API_KEY_ALIAS, MODEL, TEAM, TEAM_ALIAS, USER);
  static final List<String> TOKENS =
      List.of(END_USER, HASHED_API_KEY, API_KEY_ALIAS, MODEL, TEAM, TEAM_ALIAS, USER, REQUESTED_MODEL);
  static final List<String> REQUEST_LATENCY =
      List.of(END_USER, HASHED_API_KEY, API_KEY_ALIAS, REQUESTED_MODEL, TEAM, TEAM_ALIAS, USER, MODEL);
  static final List<String> LLM_API_LATENCY =
      List.of(MODEL, HASHED_API_KEY, API_KEY_ALIAS, TEAM, TEAM_ALIAS, REQUESTED_MODEL, END_USER, USER);
  static final List<String> TTFT = List.of(MODEL, HASHED_API_KEY, API_KEY_ALIAS, TEAM, TEAM_ALIAS);
  static final List<String> DEPLOYMENT = List.of(LITELLM_MODEL_NAME, MODEL_ID, API_BASE, API_PROVIDER);
  static final List<String> DEPLOYMENT_CALLS = List.of(REQUESTED_MODEL, LITELLM_MODEL_NAME, MODEL_ID, API_BASE, API_PROVIDER,
      HASHED_API_KEY, API_KEY_ALIAS, TEAM, TEAM_ALIAS);
  static final List<String> DEPLOYMENT_FAILURES = List.of(REQUESTED_MODEL, LITELLM_MODEL_NAME, MODEL_ID, API_BASE, API_PROVIDER,
      HASHED_API_KEY, API_KEY_ALIAS, TEAM, TEAM_ALIAS, EXCEPTION_STATUS, EXCEPTION_CLASS);
  static final List<String> COOLED_DOWN = List.of(LITELLM_MODEL_NAME, MODEL_ID, API_BASE, API_PROVIDER, EXCEPTION_STATUS);
  static final List<String> KEY_BUDGET = List.of(HASHED_API_KEY, API_KEY_ALIAS);
  static final List<String> TEAM_BUDGET = List.of(TEAM, TEAM_ALIAS);
  static final List<String> CACHE = List.of(END_USER, HASHED_API_KEY, API_KEY_ALIAS, MODEL, TEAM, TEAM_ALIAS, USER);

  static String orNone(String v) {
    return v == null || v.isEmpty() ? NONE : v;
  }

  /** The OpenAI SDK's exception class for a status, as LiteLLM reports it in {@code exception_class}. */
  static String exceptionClass(int status) {
    return switch (status) {
      case 400 -> "BadRequestError";
      case 401 -> "AuthenticationError";
      case 403 -> "PermissionDeniedError";
      case 404 -> "NotFoundError";
      case 408 -> "Timeout";
      case 413 -> "RequestTooLargeError";
      case 422 -> "UnprocessableEntityError";
      case 429 -> "RateLimitError";
      case 499 -> "ClientClosedRequest";
      case 502 -> "APIConnectionError";
      case 503 -> "ServiceUnavailableError";
      default -> status >= 500 ? "InternalServerError" : "APIError";
    };
  }
}
