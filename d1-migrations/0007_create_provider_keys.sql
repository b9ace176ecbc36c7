-- The LLM gateway's org settings: each org's provider API keys, sealed with AES-GCM under
-- the SECRETS_KEY Worker secret (never returned), and its model price overrides and default
-- price (integer micro-dollars per million tokens, JSON).

CREATE TABLE provider_keys (
  org_id     TEXT NOT NULL REFERENCES orgs(id),
  provider   TEXT NOT NULL CHECK (provider IN ('anthropic', 'openai')),
  sealed     TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (org_id, provider)
) WITHOUT ROWID;

CREATE TABLE org_prices (
  org_id        TEXT PRIMARY KEY REFERENCES orgs(id),
  overrides     TEXT NOT NULL DEFAULT '{}',
  default_price TEXT,
  updated_at    TEXT NOT NULL
) WITHOUT ROWID;
