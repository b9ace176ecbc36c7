// Signed task callbacks, the way Stripe signs webhooks: header
// `Sysop-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, one v1 per
// active secret during a rotation. Receivers recompute with their secret, compare in constant
// time, and refuse timestamps older than their tolerance (5 minutes is ours).
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { constantTimeEqual } from "../identity/constant-time";

export const SIGNATURE_HEADER = "sysop-signature";
export const DEFAULT_TOLERANCE_SECONDS = 300;

const v1 = (secret: string, t: number, body: string) => bytesToHex(hmac(sha256, utf8ToBytes(secret), utf8ToBytes(`${t}.${body}`)));

export function signCallback(secrets: readonly string[], body: string, nowSeconds: number): string {
  return [`t=${nowSeconds}`, ...secrets.map((s) => `v1=${v1(s, nowSeconds, body)}`)].join(",");
}

export function verifyCallback(secret: string, header: string, body: string, nowSeconds: number, toleranceSeconds = DEFAULT_TOLERANCE_SECONDS): boolean {
  const parts = header.split(",").map((p) => p.trim().split("=", 2) as [string, string | undefined]);
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = v1(secret, t, body);
  return parts.some(([k, v]) => k === "v1" && v !== undefined && constantTimeEqual(v, expected));
}
