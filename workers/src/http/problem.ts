// The one mapping from a DomainFailure to an RFC 9457 application/problem+json response
// (https://www.rfc-editor.org/rfc/rfc9457). Every error that leaves the Worker passes here;
// anything unexpected becomes a logged 500 without internal detail.
import type { DomainFailure, FieldIssue } from "../domain/errors";

export const PROBLEM_BASE = "https://sysop.dev/problems/";

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  request_id?: string;
  issues?: FieldIssue[];
  limit_bytes?: number;
  reason?: string;
  unit?: string;
  limit?: number;
  remaining?: number;
  resets_at?: string;
}

export function problemFor(failure: DomainFailure): ProblemBody {
  const p = (slug: string, title: string, status: number, detail: string): ProblemBody => ({
    type: PROBLEM_BASE + slug,
    title,
    status,
    detail,
  });
  switch (failure.kind) {
    case "validation":
      return { ...p("validation", "Invalid request", 422, failure.detail), issues: failure.issues };
    case "malformed_body":
      return p("malformed-body", "Malformed request body", 400, failure.detail);
    case "payload_too_large":
      return {
        ...p("payload-too-large", "Request body too large", 413, `The body exceeds ${failure.limitBytes} bytes.`),
        limit_bytes: failure.limitBytes,
      };
    case "unsupported_media_type":
      return p("unsupported-media-type", "Unsupported media type", 415, failure.detail);
    case "unauthenticated":
      return p("unauthenticated", "Authentication required", 401, failure.detail);
    case "forbidden":
      return p("forbidden", "Not allowed", 403, failure.detail);
    case "not_found":
      return p("not-found", "Not found", 404, `No ${failure.resource} with that id in your org.`);
    case "conflict":
      return p("conflict", "Conflict", 409, failure.detail);
    case "method_not_allowed":
      return p("method-not-allowed", "Method not allowed", 405, failure.detail);
    case "unavailable":
      return p("unavailable", "Not available", 503, failure.detail);
    case "budget_refused":
      return {
        ...p("budget-refused", "Budget refused", 402, failure.detail),
        reason: failure.reason,
        unit: failure.unit,
        limit: failure.limit,
        remaining: failure.remaining,
        resets_at: failure.resetsAt,
      };
    default: {
      const unhandled: never = failure;
      throw new Error(`unmapped failure ${JSON.stringify(unhandled)}`);
    }
  }
}

export const INTERNAL_PROBLEM: ProblemBody = {
  type: PROBLEM_BASE + "internal",
  title: "Internal error",
  status: 500,
  detail: "Something went wrong on our side. The request id identifies it in our logs.",
};

export function problemResponse(body: ProblemBody, headers: HeadersInit = {}): Response {
  const h = new Headers(headers);
  h.set("content-type", "application/problem+json");
  if (body.status === 401) h.set("www-authenticate", 'Bearer realm="sysop"');
  return new Response(JSON.stringify(body), { status: body.status, headers: h });
}
