// The evidence log's hash chain, as pure functions: sealing an event onto the chain head
// and verifying a run of events. Each event's hash is SHA-256 over the canonical JSON of
// its content plus the previous hash, so changing, removing or reordering any stored event
// breaks every hash after it. Used by the AuditChain Durable Object and GET /v1/audit/verify.
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";

export const GENESIS_HASH = "0".repeat(64);

export type AuditOutcome = "success" | "failure";

/** What a request asks to record; seq, time and hashes are assigned by the chain. */
export interface AuditDraft {
  actorId: string;
  actorKind: string;
  actorKeyId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  outcome: AuditOutcome;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  /** Canonical JSON of the details, or null when they were stored in R2. */
  details: string | null;
  detailsSha256: string;
  detailsInR2: boolean;
}

export interface AuditEvent extends AuditDraft {
  orgId: string;
  seq: number;
  ts: string;
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

// One encoder for every hash: noble's utf8ToBytes makes a TextEncoder (a runtime object the
// Worker's GC only frees in a full collection) and a second copy of the bytes on each call,
// and the gateway hashes four times per model call (key, request, decision details, event).
const UTF8 = new TextEncoder();

export const sha256Hex = (text: string): string => bytesToHex(sha256(UTF8.encode(text)));

/** UTF-8 bytes of `text` (as TextEncoder would write it), without encoding it: surrogate pairs are 4 bytes, other code units 1 to 3. */
export function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 2;
      i++;
    } else if (unit >= 0x800) bytes += 2;
    else if (unit >= 0x80) bytes += 1;
  }
  return bytes;
}

// Built by appending to one string (V8 joins the pieces once, when the text is hashed):
// every audit event and request hash passes through here, and the form with entries, map
// and join made several arrays per object on the gateway's path.
/** JSON with object keys sorted at every depth, so the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) {
    let out = "[";
    for (let i = 0; i < value.length; i++) out += (i === 0 ? "" : ",") + canonicalJson(value[i]);
    return out + "]";
  }
  const record = value as Record<string, unknown>;
  // The default sort compares UTF-16 code units, as `<` does.
  const keys = Object.keys(record).sort();
  let out = "{";
  for (const key of keys) {
    const v = record[key];
    if (v === undefined) continue;
    out += (out.length === 1 ? "" : ",") + JSON.stringify(key) + ":" + canonicalJson(v);
  }
  return out + "}";
}

/** The hash of an event: everything but the hash itself and the (separately hashed) details. */
export function eventHash(e: Omit<AuditEvent, "hash" | "details">): string {
  return sha256Hex(
    canonicalJson({
      org_id: e.orgId,
      seq: e.seq,
      ts: e.ts,
      actor_id: e.actorId,
      actor_kind: e.actorKind,
      actor_key_id: e.actorKeyId,
      action: e.action,
      target_type: e.targetType,
      target_id: e.targetId,
      outcome: e.outcome,
      request_id: e.requestId,
      ip: e.ip,
      user_agent: e.userAgent,
      details_sha256: e.detailsSha256,
      details_in_r2: e.detailsInR2,
      prev_hash: e.prevHash,
    }),
  );
}

/** Appends a draft to the chain whose head is `head`. INVARIANT: seq = head.seq + 1. */
export function sealEvent(orgId: string, head: ChainHead, draft: AuditDraft, now: Date): AuditEvent {
  const unsealed = { ...draft, orgId, seq: head.seq + 1, ts: now.toISOString(), prevHash: head.hash };
  return { ...unsealed, hash: eventHash(unsealed) };
}

export type ChainBreak = "gap" | "prev_hash_mismatch" | "hash_mismatch" | "details_mismatch";

export type ChainCheck = { ok: true } | { ok: false; seq: number; reason: ChainBreak };

/**
 * Walks events in seq order from a known head. Feed it page by page; it keeps only the
 * running head, so verifying a long chain needs constant memory.
 */
export class ChainVerifier {
  private head: ChainHead;
  constructor(start: ChainHead = { seq: 0, hash: GENESIS_HASH }) {
    this.head = { ...start };
  }

  get current(): ChainHead {
    return { ...this.head };
  }

  check(e: AuditEvent): ChainCheck {
    if (e.seq !== this.head.seq + 1) return { ok: false, seq: this.head.seq + 1, reason: "gap" };
    if (e.prevHash !== this.head.hash) return { ok: false, seq: e.seq, reason: "prev_hash_mismatch" };
    // INVARIANT: details are inline exactly when they are not in R2, and match their hash.
    // (Without the first check, nulling a row's details would pass unnoticed.)
    if ((e.details === null) !== e.detailsInR2 || (e.details !== null && sha256Hex(e.details) !== e.detailsSha256)) {
      return { ok: false, seq: e.seq, reason: "details_mismatch" };
    }
    const expected = eventHash({ ...e, prevHash: this.head.hash });
    if (expected !== e.hash) return { ok: false, seq: e.seq, reason: "hash_mismatch" };
    this.head = { seq: e.seq, hash: e.hash };
    return { ok: true };
  }
}
