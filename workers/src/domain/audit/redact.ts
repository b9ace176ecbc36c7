// Keeps secrets out of the evidence log: audit details pass through here before they are
// hashed, so no API key, token, password or private key is ever written into an event.

/** Field names (normalised to snake_case) whose values are always secret. */
const SECRET_FIELD =
  /(^|_)(secret|secrets|password|passwd|passphrase|token|access_token|refresh_token|id_token|api_key|private_key|client_secret|authorization|cookie|set_cookie|key_material)$/;
/** The private members of a JSON Web Key (RFC 7517/7518), redacted in any object with a kty. */
const JWK_PRIVATE_MEMBERS = new Set(["d", "p", "q", "dp", "dq", "qi", "k", "oth"]);
const SECRET_VALUES = [
  /sysop_[a-z2-7]{12}_[a-z2-7]{52}/g, // sysop API keys
  /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, // JWTs / JWS
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

export const REDACTED = "[redacted]";

/** "clientSecret", "x-api-key", "Client-Secret" → "client_secret", "x_api_key", "client_secret". */
const snakeCase = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[-\s.]+/g, "_").toLowerCase();

/**
 * Field names seen before and whether they are secret: every audit event's details pass
 * through here and their names repeat, so most lookups skip the regular expressions.
 * Bounded, since details can carry names from outside.
 */
const secretFieldMemo = new Map<string, boolean>();
const SECRET_FIELD_MEMO_MAX = 4_096;

export function isSecretField(name: string): boolean {
  let secret = secretFieldMemo.get(name);
  if (secret === undefined) {
    secret = SECRET_FIELD.test(snakeCase(name));
    if (secretFieldMemo.size >= SECRET_FIELD_MEMO_MAX) secretFieldMemo.clear();
    secretFieldMemo.set(name, secret);
  }
  return secret;
}

/** Every SECRET_VALUES pattern needs one of these: a string without them has nothing to redact. */
const mayHoldSecretValue = (s: string) => s.includes("sysop_") || s.includes("eyJ") || s.includes("PRIVATE KEY-----");

export function redactSecrets(value: unknown): unknown {
  if (typeof value === "string") {
    if (!mayHoldSecretValue(value)) return value;
    return SECRET_VALUES.reduce((s, pattern) => s.replace(pattern, REDACTED), value);
  }
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === "object") {
    const isJwk = "kty" in value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretField(k) || (isJwk && JWK_PRIVATE_MEMBERS.has(k)) ? REDACTED : redactSecrets(v);
    }
    return out;
  }
  return value;
}
