// The WebSub-style body signature GitHub and Jira both send: `<header>: sha256=<hex HMAC-SHA256
// of the raw body, keyed by the webhook secret>`. No timestamp, so no replay window: receivers
// de-duplicate on the delivery id instead. Used by github.ts and jira.ts.
import { assertUsableSecrets, expectedSignatures, matchesAny, toHex } from "./hmac";
import type { WebhookVerifyInput, WebhookVerifyResult } from "./types";

const SIGNATURE_PATTERN = /^sha256=[0-9a-f]{64}$/;

export async function verifyHubSignature(
  provider: string,
  header: string,
  { rawBody, headers, secrets }: WebhookVerifyInput,
): Promise<WebhookVerifyResult> {
  assertUsableSecrets(provider, secrets);
  const signature = headers.get(header);
  if (!signature) return { ok: false, reason: "missing_headers" };
  // Only sha256 is accepted: a "sha1=" signature (GitHub's legacy header format) is refused
  // rather than checked with a weaker hash.
  if (!SIGNATURE_PATTERN.test(signature)) return { ok: false, reason: "bad_signature" };

  const expected = await expectedSignatures(secrets, rawBody, (mac) => `sha256=${toHex(mac)}`);
  return matchesAny(expected, [signature]) ? { ok: true } : { ok: false, reason: "bad_signature" };
}
