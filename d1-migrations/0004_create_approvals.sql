-- Approvals: the team's ApprovalDesk Durable Object is the authority on every approval's
-- state; this table is its queryable projection (what waits for whom), written by the desk
-- on every change. Teams gain a Slack incoming-webhook URL for approval notices.

CREATE TABLE approvals (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL REFERENCES orgs(id),
  team_id        TEXT,
  status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'cancelled', 'expired')),
  request_hash   TEXT NOT NULL,
  requester_id   TEXT NOT NULL,
  decision_id    TEXT,
  summary        TEXT NOT NULL,
  reason         TEXT NOT NULL,
  ticket_url     TEXT,
  quorum         INTEGER NOT NULL,
  approver_roles TEXT NOT NULL,
  votes          TEXT NOT NULL DEFAULT '[]',
  created_at     TEXT NOT NULL,
  expires_at     TEXT NOT NULL,
  decided_at     TEXT,
  valid_until    TEXT
);
CREATE INDEX approvals_org_status ON approvals(org_id, status, created_at);
CREATE INDEX approvals_team_status ON approvals(team_id, status);

ALTER TABLE teams ADD COLUMN slack_webhook_url TEXT;
ALTER TABLE orgs ADD COLUMN slack_team_id TEXT;
CREATE UNIQUE INDEX orgs_slack_team ON orgs(slack_team_id) WHERE slack_team_id IS NOT NULL;

-- Slack requests already seen (by signature), so a replay inside the 5-minute window fails.
CREATE TABLE slack_replay_guard (
  signature TEXT PRIMARY KEY,
  seen_at   INTEGER NOT NULL
) WITHOUT ROWID;
