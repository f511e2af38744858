-- One schema for SQLite and PostgreSQL: portable types only; times are epoch milliseconds.

-- Keys, users, teams, end users (customers) and budgets: the columns the admin API filters on,
-- everything else in settings (JSON).
CREATE TABLE tg_entity (
  kind            VARCHAR(16)  NOT NULL,
  id              VARCHAR(256) NOT NULL,
  alias           VARCHAR(256),
  user_id         VARCHAR(256),
  team_id         VARCHAR(256),
  spend           DOUBLE PRECISION NOT NULL DEFAULT 0,
  budget_reset_at BIGINT,
  blocked         BOOLEAN NOT NULL DEFAULT FALSE,
  expires         BIGINT,
  settings        TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX tg_entity_user ON tg_entity (kind, user_id);
CREATE INDEX tg_entity_team ON tg_entity (kind, team_id);

-- One lean row per request (LiteLLM_SpendLogs' fields that matter).
CREATE TABLE tg_spend_log (
  request_id          VARCHAR(64) PRIMARY KEY,
  call_type           VARCHAR(32) NOT NULL,
  api_key             VARCHAR(64),
  spend               DOUBLE PRECISION NOT NULL,
  prompt_tokens       BIGINT NOT NULL,
  completion_tokens   BIGINT NOT NULL,
  total_tokens        BIGINT NOT NULL,
  start_time          BIGINT NOT NULL,
  end_time            BIGINT NOT NULL,
  model               VARCHAR(256),
  model_id            VARCHAR(128),
  model_group         VARCHAR(256),
  custom_llm_provider VARCHAR(64),
  api_base            VARCHAR(512),
  user_id             VARCHAR(256),
  team_id             VARCHAR(256),
  end_user            VARCHAR(256),
  status              VARCHAR(16) NOT NULL,
  cache_hit           BOOLEAN NOT NULL DEFAULT FALSE,
  metadata            TEXT
);
CREATE INDEX tg_spend_log_start ON tg_spend_log (start_time);
CREATE INDEX tg_spend_log_key ON tg_spend_log (api_key, start_time);

-- Models added through /model/new (store_model_in_db); litellm_params encrypted with LITELLM_SALT_KEY.
CREATE TABLE tg_model (
  model_id       VARCHAR(128) PRIMARY KEY,
  model_name     VARCHAR(256) NOT NULL,
  litellm_params TEXT NOT NULL,
  model_info     TEXT NOT NULL,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);
