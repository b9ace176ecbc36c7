// Verifies that a request really came from Slack (slash commands, button clicks), before
// its body is parsed. Slack's "Verifying requests from Slack" (v0): HMAC-SHA256 of
// `v0:{X-Slack-Request-Timestamp}:{raw body}` keyed by the app's signing secret, sent as
// `X-Slack-Signature: v0=<hex>`; reject timestamps more than five minutes off. Pure: the
// clock comes in as `now`; Web Crypto is available in workerd and Node 20 alike.
import { constantTimeEqual } from "../../domain/identity/constant-time";

export const SLACK_SIGNATURE_VERSION = "v0";
/** Slack's advice: ignore requests whose timestamp is more than five minutes from now. */
export const DEFAULT_MAX_SKEW_SECONDS = 300;

export type SlackSignatureFailure = "missing_headers" | "stale_timestamp" | "bad_signature" | "malformed_timestamp";
export type SlackSignatureResult = { ok: true } | { ok: false; reason: SlackSignatureFailure };

export interface SlackSignatureInput {
  /** The body exactly as received: the signature covers bytes, not a re-serialised form. */
  rawBody: string | Uint8Array;
  /** X-Slack-Request-Timestamp (Unix seconds), as received. */
  timestamp: string | null | undefined;
  /** X-Slack-Signature, as received ("v0=<64 hex>"). */
  signature: string | null | undefined;
  /** Every signing secret currently accepted: more than one while a secret is rotated. */
  secrets: readonly string[];
  now: Date;
  maxSkewSeconds?: number;
}

// Unix seconds as an unsigned decimal integer; anything else ("1e9", " 1", "1.5") is refused
// rather than coerced, so what is checked for freshness is exactly what was signed.
const TIMESTAMP_PATTERN = /^[0-9]{1,15}$/;
const SIGNATURE_PATTERN = /^v0=[0-9a-f]{64}$/;

const encoder = new TextEncoder();

export async function verifySlackSignature(input: SlackSignatureInput): Promise<SlackSignatureResult> {
  const { rawBody, timestamp, signature, secrets, now } = input;
  const maxSkewSeconds = input.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS;
  // A missing or empty secret is a deployment error, not a bad request: HMAC with an empty
  // key is something anyone can compute, so refuse loudly (a 500) instead of answering.
  if (secrets.length === 0 || secrets.some((s) => s.length === 0)) {
    throw new Error("verifySlackSignature: no usable Slack signing secret configured");
  }
  if (!Number.isInteger(maxSkewSeconds) || maxSkewSeconds <= 0) {
    throw new Error("verifySlackSignature: maxSkewSeconds must be a positive integer");
  }

  if (!timestamp || !signature) return { ok: false, reason: "missing_headers" };
  if (!TIMESTAMP_PATTERN.test(timestamp)) return { ok: false, reason: "malformed_timestamp" };

  // Both directions: an old request may be a replay, and one from the future was either
  // forged or sent by a clock we should not trust.
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > maxSkewSeconds) return { ok: false, reason: "stale_timestamp" };

  if (!SIGNATURE_PATTERN.test(signature)) return { ok: false, reason: "bad_signature" };

  // Every secret is tried, even after a match, so the time taken does not say which one did.
  let matched = false;
  for (const secret of secrets) {
    const expected = await signSlackRequest(secret, timestamp, rawBody);
    matched = constantTimeEqual(expected, signature) || matched;
  }
  return matched ? { ok: true } : { ok: false, reason: "bad_signature" };
}

/** The X-Slack-Signature value Slack would send: "v0=" + hex(HMAC-SHA256(secret, basestring)). */
export async function signSlackRequest(
  secret: string,
  timestamp: string | number,
  rawBody: string | Uint8Array,
): Promise<string> {
  const prefix = encoder.encode(`${SLACK_SIGNATURE_VERSION}:${timestamp}:`);
  const body = typeof rawBody === "string" ? encoder.encode(rawBody) : rawBody;
  const basestring = new Uint8Array(prefix.length + body.length);
  basestring.set(prefix, 0);
  basestring.set(body, prefix.length);

  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, basestring));
  return `${SLACK_SIGNATURE_VERSION}=${toHex(mac)}`;
}

function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}
