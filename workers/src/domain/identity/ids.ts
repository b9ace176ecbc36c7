// Opaque, typed identifiers ("org_…", "team_…") and API key material. Random, not
// time-ordered: ids leak nothing about creation order or volume. Uses Web Crypto, which
// both workerd and Node provide.

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

export function randomBase32(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = "";
  for (const b of bytes) out += BASE32[b & 31];
  return out;
}

export type IdPrefix = "org" | "usr" | "agt" | "svc" | "team" | "repo" | "key" | "oidc" | "req" | "pol" | "dec" | "apr" | "rsv" | "pool" | "enr" | "run" | "task" | "job" | "lease" | "sig" | "chg" | "dep" | "dlq" | "map";

export const newId = (prefix: IdPrefix): string => `${prefix}_${randomBase32(20)}`;

export const API_KEY_PREFIX = "sysop_";
const KEY_ID_LENGTH = 12;
const KEY_SECRET_LENGTH = 52; // 52 × 5 bits = 260 bits of entropy
const API_KEY_PATTERN = new RegExp(`^sysop_([a-z2-7]{${KEY_ID_LENGTH}})_([a-z2-7]{${KEY_SECRET_LENGTH}})$`);

export interface ApiKeyMaterial {
  /** Stored id of the key row: "key_<key id>". */
  id: string;
  /** The visible, greppable part: "sysop_<key id>". */
  prefix: string;
  /** The whole key, shown once to its creator. */
  key: string;
}

export function newApiKey(): ApiKeyMaterial {
  const keyId = randomBase32(KEY_ID_LENGTH);
  const prefix = `${API_KEY_PREFIX}${keyId}`;
  return { id: `key_${keyId}`, prefix, key: `${prefix}_${randomBase32(KEY_SECRET_LENGTH)}` };
}

/** Splits a presented key into its row id; null when it is not shaped like a sysop key. */
export function parseApiKey(presented: string): { id: string; prefix: string } | null {
  const m = API_KEY_PATTERN.exec(presented);
  return m ? { id: `key_${m[1]}`, prefix: `${API_KEY_PREFIX}${m[1]}` } : null;
}

export const looksLikeApiKey = (s: string): boolean => s.startsWith(API_KEY_PREFIX);

export function slugify(name: string): string {
  return name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, 48)
    .replace(/^-+|-+$/g, "");
}
