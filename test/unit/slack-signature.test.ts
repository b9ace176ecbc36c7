// Unit tests for Slack request signatures (workers/src/integrations/slack/signature.ts):
// Slack's own published example, an independent HMAC from node:crypto, secret rotation,
// the five-minute window in both directions, and every way a request can be refused.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { signSlackRequest, verifySlackSignature } from "../../workers/src/integrations/slack/signature";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5"; // the secret in Slack's worked example
const TIMESTAMP = "1531420618";
const BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
// The X-Slack-Signature Slack's "Verifying requests from Slack" walk-through gives for the above.
const SLACK_DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";

const atSeconds = (s: number) => new Date(s * 1000);
const NOW = atSeconds(Number(TIMESTAMP));

/** The signature computed without the code under test. */
function nodeSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return "v0=" + createHmac("sha256", secret).update(`v0:${timestamp}:`).update(body).digest("hex");
}

describe("signSlackRequest", () => {
  it("reproduces the signature in Slack's documentation", async () => {
    expect(await signSlackRequest(SECRET, TIMESTAMP, BODY)).toBe(SLACK_DOC_SIGNATURE);
  });

  it("agrees with node:crypto createHmac, for ASCII, UTF-8 and byte bodies", async () => {
    const secret = "another-secret-🔑";
    for (const body of ["", "payload=%7B%7D", "text=déploie ✓ 🚀&x=1", "a".repeat(10_000)]) {
      expect(await signSlackRequest(secret, 1_700_000_000, body)).toBe(nodeSignature(secret, "1700000000", body));
    }
    const bytes = new Uint8Array([0, 255, 10, 13, 0xc3, 0x28]); // not valid UTF-8: hashed as is
    expect(await signSlackRequest(secret, "42", bytes)).toBe(nodeSignature(secret, "42", Buffer.from(bytes)));
  });
});

describe("verifySlackSignature", () => {
  const verify = (over: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) =>
    verifySlackSignature({ rawBody: BODY, timestamp: TIMESTAMP, signature: SLACK_DOC_SIGNATURE, secrets: [SECRET], now: NOW, ...over });

  it("accepts Slack's documented request", async () => {
    expect(await verify()).toEqual({ ok: true });
  });

  it("accepts a request signed with node:crypto, given as bytes or as a string", async () => {
    const body = "payload=" + encodeURIComponent(JSON.stringify({ type: "block_actions", note: "naïve & <b>" }));
    const signature = nodeSignature("s3cret", "1700000000", body);
    const now = atSeconds(1_700_000_100);
    expect(await verifySlackSignature({ rawBody: body, timestamp: "1700000000", signature, secrets: ["s3cret"], now })).toEqual({ ok: true });
    const bytes = new TextEncoder().encode(body);
    expect(await verifySlackSignature({ rawBody: bytes, timestamp: "1700000000", signature, secrets: ["s3cret"], now })).toEqual({ ok: true });
  });

  it("accepts a signature made with any one of several secrets (rotation), in any position", async () => {
    const secrets = ["old-secret", "current-secret", "next-secret"];
    for (const secret of secrets) {
      const signature = nodeSignature(secret, TIMESTAMP, BODY);
      expect(await verify({ secrets, signature })).toEqual({ ok: true });
      expect(await verify({ secrets: [...secrets].reverse(), signature })).toEqual({ ok: true });
    }
  });

  it("rejects a signature made with a secret that is not (or no longer) configured", async () => {
    const signature = nodeSignature("retired-secret", TIMESTAMP, BODY);
    expect(await verify({ secrets: ["old-secret", "current-secret"], signature })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify({ secrets: ["not-" + SECRET] })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("rejects a body changed by one byte, anywhere", async () => {
    for (const at of [0, 100, BODY.length - 1]) {
      const changed = BODY.slice(0, at) + (BODY[at] === "x" ? "y" : "x") + BODY.slice(at + 1);
      expect(await verify({ rawBody: changed })).toEqual({ ok: false, reason: "bad_signature" });
    }
    expect(await verify({ rawBody: BODY + "&" })).toEqual({ ok: false, reason: "bad_signature" });
    expect(await verify({ rawBody: BODY.slice(0, -1) })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("rejects a signature that differs from the right one in a single hex digit, at either end or the middle", async () => {
    for (const at of [3, 35, SLACK_DOC_SIGNATURE.length - 1]) {
      const c = SLACK_DOC_SIGNATURE[at] === "0" ? "1" : "0";
      const signature = SLACK_DOC_SIGNATURE.slice(0, at) + c + SLACK_DOC_SIGNATURE.slice(at + 1);
      expect(await verify({ signature }), signature).toEqual({ ok: false, reason: "bad_signature" });
    }
  });

  it("rejects a signature moved to another timestamp inside the window", async () => {
    const now = atSeconds(Number(TIMESTAMP) + 10);
    expect(await verify({ timestamp: String(Number(TIMESTAMP) + 1), now })).toEqual({ ok: false, reason: "bad_signature" });
  });

  it("rejects a signature that is not v0=<64 lower-case hex>", async () => {
    const hex = SLACK_DOC_SIGNATURE.slice(3);
    for (const signature of [
      hex,
      `v1=${hex}`,
      `V0=${hex}`,
      `v0=${hex.slice(0, -1)}`,
      `v0=${hex}0`,
      `v0=${hex.toUpperCase()}`,
      ` ${SLACK_DOC_SIGNATURE}`,
      `v0=${"0".repeat(64)}`,
      "v0=",
    ]) {
      expect(await verify({ signature }), signature).toEqual({ ok: false, reason: "bad_signature" });
    }
  });

  it("allows exactly 300 seconds of skew either way, and refuses 301 (stale or from the future)", async () => {
    const ts = Number(TIMESTAMP);
    expect(await verify({ now: atSeconds(ts + 300) })).toEqual({ ok: true });
    expect(await verify({ now: atSeconds(ts - 300) })).toEqual({ ok: true });
    expect(await verify({ now: atSeconds(ts + 301) })).toEqual({ ok: false, reason: "stale_timestamp" });
    expect(await verify({ now: atSeconds(ts - 301) })).toEqual({ ok: false, reason: "stale_timestamp" });
    // Milliseconds do not round the window open: 300.999 s old still counts as 300.
    expect(await verify({ now: new Date((ts + 300) * 1000 + 999) })).toEqual({ ok: true });
  });

  it("honours a narrower window", async () => {
    const ts = Number(TIMESTAMP);
    expect(await verify({ now: atSeconds(ts + 61), maxSkewSeconds: 60 })).toEqual({ ok: false, reason: "stale_timestamp" });
    expect(await verify({ now: atSeconds(ts + 60), maxSkewSeconds: 60 })).toEqual({ ok: true });
  });

  it("checks the timestamp before the signature: a stale forgery is stale, not bad", async () => {
    expect(await verify({ signature: `v0=${"0".repeat(64)}`, now: atSeconds(Number(TIMESTAMP) + 3600) })).toEqual({
      ok: false,
      reason: "stale_timestamp",
    });
  });

  it("reports missing headers", async () => {
    for (const over of [{ timestamp: null }, { timestamp: undefined }, { timestamp: "" }, { signature: null }, { signature: "" }]) {
      expect(await verify(over), JSON.stringify(over)).toEqual({ ok: false, reason: "missing_headers" });
    }
  });

  it("reports a timestamp that is not whole Unix seconds", async () => {
    for (const timestamp of ["abc", "1531420618.5", "-1531420618", " 1531420618", "1531420618 ", "1.531420618e9", "0x5B47A0CA", "1".repeat(16)]) {
      expect(await verify({ timestamp }), timestamp).toEqual({ ok: false, reason: "malformed_timestamp" });
    }
  });

  it("refuses to run without a usable secret (a deployment error, not a client one)", async () => {
    await expect(verify({ secrets: [] })).rejects.toThrow(/signing secret/);
    await expect(verify({ secrets: [SECRET, ""] })).rejects.toThrow(/signing secret/);
    await expect(verify({ maxSkewSeconds: 0 })).rejects.toThrow(/maxSkewSeconds/);
  });
});
