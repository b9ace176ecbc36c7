-- Governance policies: one policy per (org, layer, target) — the org itself, a team or a
-- repo — with every version kept. Activating a version points active_version at it; older
-- versions stay readable and can be reactivated.

CREATE TABLE policies (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL REFERENCES orgs(id),
  layer          TEXT NOT NULL CHECK (layer IN ('org', 'team', 'repo')),
  target_id      TEXT NOT NULL,
  active_version INTEGER,
  latest_version INTEGER NOT NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX policies_target ON policies(org_id, layer, target_id);

CREATE TABLE policy_versions (
  policy_id  TEXT NOT NULL REFERENCES policies(id),
  org_id     TEXT NOT NULL,
  version    INTEGER NOT NULL,
  document   TEXT NOT NULL,
  sha256     TEXT NOT NULL,
  note       TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (policy_id, version)
) WITHOUT ROWID;
