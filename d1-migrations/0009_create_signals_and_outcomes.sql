-- Business context and outcomes: each org's webhook secrets per source (sealed), the
-- deliveries seen (de-duplication by delivery id), deliveries that verified but did not parse
-- (dead letters an admin can read), normalised signals and the rules that map them to repos
-- and teams, pull requests with their review and merge times, deployments, links from
-- priorities to the tasks made from them, and the org's outcome settings.

CREATE TABLE webhook_secrets (
  org_id     TEXT NOT NULL REFERENCES orgs(id),
  source     TEXT NOT NULL CHECK (source IN ('github', 'jira', 'linear', 'zendesk', 'pagerduty', 'crm')),
  sealed     TEXT NOT NULL,
  position   INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (org_id, source, position)
) WITHOUT ROWID;

CREATE TABLE webhook_deliveries (
  org_id      TEXT NOT NULL,
  source      TEXT NOT NULL,
  delivery_id TEXT NOT NULL,
  outcome     TEXT NOT NULL CHECK (outcome IN ('stored', 'dead_letter')),
  records     INTEGER NOT NULL,
  received_at TEXT NOT NULL,
  PRIMARY KEY (org_id, source, delivery_id)
) WITHOUT ROWID;

CREATE TABLE webhook_dead_letters (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES orgs(id),
  source      TEXT NOT NULL,
  delivery_id TEXT,
  reason      TEXT NOT NULL,
  headers     TEXT NOT NULL,
  body        TEXT NOT NULL,
  received_at TEXT NOT NULL
);
CREATE INDEX webhook_dead_letters_org ON webhook_dead_letters(org_id, received_at);

CREATE TABLE signals (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES orgs(id),
  source      TEXT NOT NULL,
  external_id TEXT NOT NULL,
  url         TEXT,
  kind        TEXT NOT NULL CHECK (kind IN ('support_ticket', 'incident', 'deal', 'bug', 'feature_request', 'tech_debt')),
  title       TEXT NOT NULL,
  severity    TEXT CHECK (severity IN ('critical', 'high', 'medium', 'low')),
  customer    TEXT,
  arr_micros  INTEGER,
  component   TEXT,
  service     TEXT,
  labels      TEXT NOT NULL DEFAULT '[]',
  repo        TEXT,
  team_id     TEXT,
  state       TEXT NOT NULL CHECK (state IN ('open', 'resolved', 'closed')),
  opened_at   TEXT NOT NULL,
  resolved_at TEXT,
  updated_at  TEXT NOT NULL,
  UNIQUE (org_id, source, external_id)
);
CREATE INDEX signals_org_team ON signals(org_id, team_id, state);
CREATE INDEX signals_org_kind_opened ON signals(org_id, kind, opened_at);

CREATE TABLE signal_mappings (
  id         TEXT PRIMARY KEY,
  org_id     TEXT NOT NULL REFERENCES orgs(id),
  position   INTEGER NOT NULL,
  match      TEXT NOT NULL,
  repo       TEXT,
  team_id    TEXT REFERENCES teams(id),
  created_at TEXT NOT NULL
);
CREATE INDEX signal_mappings_org ON signal_mappings(org_id, position);

CREATE TABLE changes (
  id              TEXT PRIMARY KEY,
  org_id          TEXT NOT NULL REFERENCES orgs(id),
  repo            TEXT NOT NULL,
  number          INTEGER NOT NULL,
  team_id         TEXT,
  author          TEXT NOT NULL,
  origin          TEXT NOT NULL CHECK (origin IN ('agent', 'human')),
  origin_evidence TEXT,
  task_id         TEXT,
  title           TEXT NOT NULL,
  branch          TEXT NOT NULL,
  labels          TEXT NOT NULL DEFAULT '[]',
  opened_at       TEXT NOT NULL,
  first_review_at TEXT,
  approved_at     TEXT,
  merged_at       TEXT,
  closed_at       TEXT,
  first_commit_at TEXT,
  review_rounds   INTEGER NOT NULL DEFAULT 0,
  head_sha        TEXT,
  merge_sha       TEXT,
  reworked_at     TEXT,
  reverted_at     TEXT,
  updated_at      TEXT NOT NULL,
  UNIQUE (org_id, repo, number)
);
CREATE INDEX changes_org_team_opened ON changes(org_id, team_id, opened_at);
CREATE INDEX changes_org_merge_sha ON changes(org_id, merge_sha);

CREATE TABLE deployments (
  id            TEXT PRIMARY KEY,
  org_id        TEXT NOT NULL REFERENCES orgs(id),
  repo          TEXT NOT NULL,
  team_id       TEXT,
  environment   TEXT NOT NULL,
  state         TEXT NOT NULL,
  sha           TEXT NOT NULL,
  deployment_id INTEGER NOT NULL,
  at            TEXT NOT NULL,
  UNIQUE (org_id, repo, deployment_id, state)
);
CREATE INDEX deployments_org_at ON deployments(org_id, at);

CREATE TABLE priority_tasks (
  org_id      TEXT NOT NULL REFERENCES orgs(id),
  priority_id TEXT NOT NULL,
  task_id     TEXT NOT NULL REFERENCES tasks(id),
  signal_ids  TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  PRIMARY KEY (org_id, priority_id, task_id)
) WITHOUT ROWID;

CREATE TABLE outcome_settings (
  org_id   TEXT PRIMARY KEY REFERENCES orgs(id),
  settings TEXT NOT NULL,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;
