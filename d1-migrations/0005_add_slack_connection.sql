-- An org's Slack connection: its workspace (orgs.slack_team_id, from 0004) and the bot
-- token sysop uses to look up a Slack user's email, sealed with AES-GCM (never returned).
-- slack_users caches which Slack user is which sysop principal (matched by email).

ALTER TABLE orgs ADD COLUMN slack_bot_token_sealed TEXT;

CREATE TABLE slack_users (
  org_id        TEXT NOT NULL REFERENCES orgs(id),
  slack_user_id TEXT NOT NULL,
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  email         TEXT NOT NULL,
  created_at    TEXT NOT NULL,
  PRIMARY KEY (org_id, slack_user_id)
) WITHOUT ROWID;
