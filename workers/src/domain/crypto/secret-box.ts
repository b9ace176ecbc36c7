// Secrets sysop must be able to read back (a Slack bot token, later provider API keys) are
// stored sealed with AES-256-GCM under a key that lives only in a Worker secret
// (SECRETS_KEY, 32 bytes base64). Format: "v1.<iv>.<ciphertext>", base64url; the org id is
// bound as additional data, so a sealed value copied to another org does not open.

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const fromB64url = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

async function importKey(secretsKey: string): Promise<CryptoKey> {
  const raw = Uint8Array.from(atob(secretsKey), (c) => c.charCodeAt(0));
  if (raw.byteLength !== 32) throw new Error("SECRETS_KEY must be 32 bytes, base64-encoded");
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function seal(secretsKey: string, orgId: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: new TextEncoder().encode(orgId) }, await importKey(secretsKey), new TextEncoder().encode(plaintext));
  return `v1.${b64url(iv)}.${b64url(new Uint8Array(ct))}`;
}

export async function open(secretsKey: string, orgId: string, sealed: string): Promise<string> {
  const [version, iv, ct] = sealed.split(".");
  if (version !== "v1" || !iv || !ct) throw new Error("not a sealed value");
  const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromB64url(iv), additionalData: new TextEncoder().encode(orgId) }, await importKey(secretsKey), fromB64url(ct));
  return new TextDecoder().decode(pt);
}
