// Shapes shared by the provider parsers (anthropic.ts, openai.ts): an error a stream reported
// after its HTTP 200, and the narrowing of untrusted provider JSON.
import { isCount } from "../../domain/prices/types";

/** An error event inside a stream: Anthropic's `event: error`, OpenAI's `data: {"error": …}`. */
export interface ProviderStreamError {
  type: string;
  message: string;
}

/** A JSON object (not an array, not null), or null. */
export const asObject = (v: unknown): Record<string, unknown> | null =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

/** An optional token count: absent or null is 0; anything else that is not a count is malformed (null). */
export const optionalCount = (v: unknown): number | null => (v === undefined || v === null ? 0 : isCount(v) ? v : null);

export function streamError(e: Record<string, unknown>): ProviderStreamError {
  const type = typeof e.type === "string" ? e.type : typeof e.code === "string" ? e.code : "unknown";
  return { type, message: typeof e.message === "string" ? e.message : "" };
}
