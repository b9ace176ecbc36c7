-- The evidence log: each org's append-only SHA-256 hash chain. The AuditChain Durable
-- Object assigns seq and hash and flushes events here in batches; this table is for
-- querying and verification. (org_id, seq) is the chain position: no gaps, no forks.

CREATE TABLE audit_events (
  org_id          TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  ts              TEXT NOT NULL,
  actor_id        TEXT NOT NULL,
  actor_kind      TEXT NOT NULL,
  actor_key_id    TEXT,
  action          TEXT NOT NULL,
  target_type     TEXT NOT NULL,
  target_id       TEXT NOT NULL,
  outcome         TEXT NOT NULL,
  request_id      TEXT NOT NULL,
  ip              TEXT,
  user_agent      TEXT,
  -- Inline JSON when small; NULL when the payload went to R2 under details_sha256.
  details         TEXT,
  details_sha256  TEXT NOT NULL,
  details_in_r2   INTEGER NOT NULL DEFAULT 0,
  prev_hash       TEXT NOT NULL,
  hash            TEXT NOT NULL,
  PRIMARY KEY (org_id, seq)
) WITHOUT ROWID;
CREATE INDEX audit_events_actor ON audit_events(org_id, actor_id, seq);
CREATE INDEX audit_events_action ON audit_events(org_id, action, seq);
CREATE INDEX audit_events_target ON audit_events(org_id, target_id, seq);
CREATE INDEX audit_events_ts ON audit_events(org_id, ts);
