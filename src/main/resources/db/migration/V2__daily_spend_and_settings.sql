-- Daily aggregates per key / user / team / model / end user: what dashboards read instead of scanning logs.
CREATE TABLE tg_daily_spend (
  day               VARCHAR(10)  NOT NULL,
  kind              VARCHAR(16)  NOT NULL,
  id                VARCHAR(256) NOT NULL,
  model             VARCHAR(256) NOT NULL,
  spend             DOUBLE PRECISION NOT NULL DEFAULT 0,
  prompt_tokens     BIGINT NOT NULL DEFAULT 0,
  completion_tokens BIGINT NOT NULL DEFAULT 0,
  api_requests      BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (day, kind, id, model)
);

-- Small facts about the deployment (e.g. a fingerprint of LITELLM_SALT_KEY to detect a changed key).
CREATE TABLE tg_setting (
  name  VARCHAR(128) PRIMARY KEY,
  value TEXT NOT NULL
);
