-- Identity and tenancy: orgs, principals (users, agents, services), teams, memberships,
-- repos with path scopes, API keys and external OIDC issuers. Every row carries org_id so
-- each query can be scoped to the caller's org.

CREATE TABLE orgs (
  id          TEXT PRIMARY KEY,
  slug        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  created_at  TEXT NOT NULL
);

CREATE TABLE principals (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES orgs(id),
  kind        TEXT NOT NULL CHECK (kind IN ('user', 'agent', 'service')),
  email       TEXT,
  name        TEXT NOT NULL,
  org_role    TEXT NOT NULL CHECK (org_role IN ('owner', 'admin', 'member', 'auditor', 'billing')),
  status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'removed')),
  created_at  TEXT NOT NULL,
  CHECK ((kind = 'user') = (email IS NOT NULL))
);
CREATE UNIQUE INDEX principals_org_email ON principals(org_id, email) WHERE email IS NOT NULL;
CREATE INDEX principals_email ON principals(email);

CREATE TABLE teams (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES orgs(id),
  slug        TEXT NOT NULL,
  name        TEXT NOT NULL,
  archived_at TEXT,
  created_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX teams_org_slug ON teams(org_id, slug);

CREATE TABLE team_members (
  team_id      TEXT NOT NULL REFERENCES teams(id),
  principal_id TEXT NOT NULL REFERENCES principals(id),
  org_id       TEXT NOT NULL REFERENCES orgs(id),
  role         TEXT NOT NULL CHECK (role IN ('lead', 'member')),
  created_at   TEXT NOT NULL,
  PRIMARY KEY (team_id, principal_id)
);
CREATE INDEX team_members_principal ON team_members(principal_id);

CREATE TABLE repos (
  id             TEXT PRIMARY KEY,
  org_id         TEXT NOT NULL REFERENCES orgs(id),
  team_id        TEXT NOT NULL REFERENCES teams(id),
  name           TEXT NOT NULL,
  url            TEXT,
  default_branch TEXT NOT NULL,
  -- JSON array of {path, read: [role], write: [role]}; read by the policy engine.
  path_scopes    TEXT NOT NULL DEFAULT '[]',
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
);
CREATE UNIQUE INDEX repos_org_name ON repos(org_id, name);
CREATE INDEX repos_team ON repos(team_id);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  org_id       TEXT NOT NULL REFERENCES orgs(id),
  principal_id TEXT NOT NULL REFERENCES principals(id),
  name         TEXT NOT NULL,
  -- The visible part of the key ("sysop_<key id>"), for logs and secret scanners.
  prefix       TEXT NOT NULL UNIQUE,
  -- SHA-256 (hex) of the whole key. The key itself is never stored.
  secret_hash  TEXT NOT NULL,
  scopes       TEXT NOT NULL,
  expires_at   TEXT,
  revoked_at   TEXT,
  last_used_at TEXT,
  created_by   TEXT NOT NULL,
  created_at   TEXT NOT NULL
);
CREATE INDEX api_keys_org ON api_keys(org_id, created_at);
CREATE INDEX api_keys_principal ON api_keys(principal_id);

CREATE TABLE oidc_issuers (
  id          TEXT PRIMARY KEY,
  org_id      TEXT NOT NULL REFERENCES orgs(id),
  issuer      TEXT NOT NULL,
  audience    TEXT NOT NULL,
  jwks        TEXT NOT NULL,
  email_claim TEXT NOT NULL DEFAULT 'email',
  created_at  TEXT NOT NULL
);
-- One (issuer, audience) pair names one org, so a token routes to exactly one tenant.
CREATE UNIQUE INDEX oidc_issuers_iss_aud ON oidc_issuers(issuer, audience);
CREATE INDEX oidc_issuers_org ON oidc_issuers(org_id);
