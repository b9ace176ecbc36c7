// The HMAC-SHA256 and comparison primitives every webhook verifier shares: Web Crypto (native
// in workerd and Node 20, so large bodies cost little CPU), hex/base64 encodings, a
// constant-time "does any received signature match any expected one", and the refusal of
// unusable secrets. Nothing provider-specific lives here.
import { constantTimeEqual } from "../identity/constant-time";

const encoder = new TextEncoder();

/**
 * A missing or empty secret is a deployment error, not a bad request: HMAC with an empty key
 * is something anyone can compute, so refuse loudly (a 500) rather than answer.
 */
export function assertUsableSecrets(provider: string, secrets: readonly string[]): void {
  if (secrets.length === 0 || secrets.some((s) => s.length === 0)) {
    throw new Error(`${provider} webhook: no usable signing secret configured`);
  }
}

export async function hmacSha256(secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The expected signature under each secret, in the caller's encoding. */
export async function expectedSignatures(
  secrets: readonly string[],
  message: string,
  encode: (mac: Uint8Array) => string,
): Promise<string[]> {
  return Promise.all(secrets.map(async (secret) => encode(await hmacSha256(secret, message))));
}

/**
 * True when any received signature equals any expected one. Every pair is compared, even after
 * a match, so the time taken says neither which secret nor which signature matched.
 */
export function matchesAny(expected: readonly string[], received: readonly string[]): boolean {
  let matched = false;
  for (const e of expected) {
    for (const r of received) matched = constantTimeEqual(e, r) || matched;
  }
  return matched;
}

/**
 * Both directions: an old delivery may be a replay, and one from the future was either forged
 * or sent by a clock we should not trust.
 */
export function isWithinTolerance(signedAtMs: number, now: Date, toleranceMs: number): boolean {
  return Math.abs(now.getTime() - signedAtMs) <= toleranceMs;
}
