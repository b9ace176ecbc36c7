// Reading a verified webhook body: JSON, then a zod schema that keeps only the fields sysop
// uses (providers add fields all the time, so extra ones are ignored), with a failure reason
// that names the missing or invalid field. Shared by every provider's parser.
import { z } from "zod";
import type { HeaderReader, WebhookParseResult } from "./types";

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

export function parseJson(rawBody: string, context: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(rawBody) as unknown };
  } catch {
    return { ok: false, reason: `${context}: body is not JSON` };
  }
}

/** Validates against `schema`; on failure the reason names the first offending field. */
export function validate<T>(schema: z.ZodType<T>, value: unknown, context: string): Parsed<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.join(".") : "(body)";
  return { ok: false, reason: `${context}: field "${field}": ${issue?.message ?? "invalid"}` };
}

/** The delivery id from a header, else from the body, else a reason naming the header. */
export function deliveryIdFrom(headers: HeaderReader, header: string, fallback: string | null, context: string): Parsed<string> {
  const fromHeader = headers.get(header)?.trim();
  if (fromHeader) return { ok: true, value: fromHeader };
  if (fallback) return { ok: true, value: fallback };
  return { ok: false, reason: `${context}: header ${header} is missing (the delivery id)` };
}

export const failed = (reason: string): WebhookParseResult => ({ ok: false, reason });

// ---- Field schemas ---------------------------------------------------------------------

// Date-times with an explicit zone. Jira sends "+0000"/"-0600" (no colon), which is not ISO
// 8601 extended format and which Date.parse need not accept, so the colon is put back first.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const withZoneColon = (s: string) => s.replace(/([+-]\d{2})(\d{2})$/, "$1:$2");

/** An ISO 8601 date-time with a zone, normalised to UTC `toISOString()` form. */
export const IsoDateTime = z
  .string()
  .regex(DATE_TIME, "expected an ISO 8601 date-time with a zone")
  .refine((s) => !Number.isNaN(Date.parse(withZoneColon(s))), "expected a real date-time")
  .transform((s) => new Date(Date.parse(withZoneColon(s))).toISOString());

export const NullableIsoDateTime = IsoDateTime.nullish().transform((v) => v ?? null);

/** A string the provider may omit or send as null; both become null. */
export const OptionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? null);

/** `[{ name }]` label objects (GitHub, Linear) as a list of names. */
export const NamedList = z
  .array(z.object({ name: z.string() }))
  .nullish()
  .transform((v) => (v ?? []).map((l) => l.name));
