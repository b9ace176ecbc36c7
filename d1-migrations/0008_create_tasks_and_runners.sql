-- The execution plane: runner pools, one-time enrolment tokens, enrolled runners (their
-- Ed25519 public keys), tasks with their lifecycle, the task's event stream (state changes and
-- log lines) and the artifacts runners uploaded (R2, by content hash). Queue and leases live
-- in each pool's RunnerBridge Durable Object; D1 holds what the API lists and reads.

CREATE TABLE runner_pools (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES orgs(id),
  team_id     TEXT REFERENCES teams(id),
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  UNIQUE (org_id, name)
);

CREATE TABLE enrolment_tokens (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES orgs(id),
  pool_id     TEXT NOT NULL REFERENCES runner_pools(id),
  secret_hash TEXT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  used_at     TEXT,
  runner_id   TEXT
);

CREATE TABLE runners (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL REFERENCES orgs(id),
  pool_id      TEXT NOT NULL REFERENCES runner_pools(id),
  name         TEXT NOT NULL,
  public_key   TEXT NOT NULL,
  labels       TEXT NOT NULL DEFAULT '{}',
  status       TEXT NOT NULL CHECK (status IN ('active', 'draining', 'revoked')),
  enrolled_at  TEXT NOT NULL,
  last_seen_at TEXT,
  revoked_at   TEXT
);
CREATE INDEX runners_pool ON runners(pool_id, status);

CREATE TABLE tasks (
  id               TEXT PRIMARY KEY,
  org_id           TEXT NOT NULL REFERENCES orgs(id),
  team_id          TEXT NOT NULL REFERENCES teams(id),
  pool_id          TEXT NOT NULL REFERENCES runner_pools(id),
  repo             TEXT NOT NULL,
  ref              TEXT NOT NULL,
  kind             TEXT NOT NULL,
  goal             TEXT NOT NULL,
  steps            TEXT NOT NULL,
  constraints      TEXT NOT NULL,
  estimated_tokens INTEGER NOT NULL,
  model            TEXT NOT NULL,
  callback_url     TEXT,
  requester_id     TEXT NOT NULL,
  idempotency_key  TEXT NOT NULL,
  body_hash        TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('received', 'awaiting_approval', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'expired')),
  status_reason    TEXT,
  decision_ids     TEXT NOT NULL DEFAULT '[]',
  approval_id      TEXT,
  reservation_id   TEXT,
  job_id           TEXT,
  attempts         INTEGER NOT NULL DEFAULT 0,
  runner_id        TEXT,
  outcome          TEXT,
  created_at       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  finished_at      TEXT,
  UNIQUE (org_id, requester_id, idempotency_key)
);
CREATE INDEX tasks_org_created ON tasks(org_id, created_at);
CREATE INDEX tasks_org_team_status ON tasks(org_id, team_id, status);

CREATE TABLE task_events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  task_id  TEXT NOT NULL REFERENCES tasks(id),
  org_id   TEXT NOT NULL,
  type     TEXT NOT NULL,
  data     TEXT NOT NULL,
  at       TEXT NOT NULL
);
CREATE INDEX task_events_task ON task_events(task_id, id);

CREATE TABLE task_artifacts (
  task_id    TEXT NOT NULL REFERENCES tasks(id),
  job_id     TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind IN ('diff', 'test_report', 'log')),
  sha256     TEXT NOT NULL,
  size       INTEGER NOT NULL,
  r2_key     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (task_id, kind, sha256)
) WITHOUT ROWID;

CREATE TABLE org_secrets (
  org_id     TEXT NOT NULL REFERENCES orgs(id),
  kind       TEXT NOT NULL CHECK (kind IN ('callback_signing')),
  sealed     TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (org_id, kind, created_at)
) WITHOUT ROWID;
