// Keeps secrets out of the evidence log: audit details pass through here before they are
// hashed, so no API key, token, password or private key is ever written into an event.

const SECRET_FIELD =
  /(^|_)(secret|secrets|password|passwd|token|access_token|refresh_token|id_token|api_key|private_key|client_secret|authorization|cookie|key_material|d)$/i;
const SECRET_VALUES = [
  /sysop_[a-z2-7]{12}_[a-z2-7]{52}/g, // sysop API keys
  /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, // JWTs / JWS
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g,
];

export const REDACTED = "[redacted]";

export function redactSecrets(value: unknown): unknown {
  if (typeof value === "string") {
    return SECRET_VALUES.reduce((s, pattern) => s.replace(pattern, REDACTED), value);
  }
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_FIELD.test(k) ? REDACTED : redactSecrets(v);
    return out;
  }
  return value;
}
