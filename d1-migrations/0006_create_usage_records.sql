-- Usage: one row per settled reservation (LLM gateway calls, self-metered agent work), with
-- tokens by kind and cost in integer micro-dollars. Written by the team's BudgetLedger from
-- its outbox, keyed by reservation id so a retried flush never counts twice.

CREATE TABLE usage_records (
  id                 TEXT PRIMARY KEY,
  org_id             TEXT NOT NULL REFERENCES orgs(id),
  team_id            TEXT NOT NULL,
  user_id            TEXT,
  agent_id           TEXT,
  repo               TEXT,
  task_id            TEXT,
  model              TEXT,
  input_tokens       INTEGER NOT NULL DEFAULT 0,
  output_tokens      INTEGER NOT NULL DEFAULT 0,
  cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
  cache_write_tokens INTEGER NOT NULL DEFAULT 0,
  tokens             INTEGER NOT NULL,
  cost_micros        INTEGER NOT NULL,
  created_at         TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX usage_records_org_time ON usage_records(org_id, created_at);
CREATE INDEX usage_records_team_time ON usage_records(team_id, created_at);
