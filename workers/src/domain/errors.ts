// The one failure model of sysop's domain: a tagged union every layer throws as a
// `SysopError` and http/problem.ts maps to RFC 9457 problem+json. A new kind will not
// compile until the mapping handles it.

export interface FieldIssue {
  /** Where the problem is: "body.org_name", "query.limit", "header.authorization". */
  path: string;
  message: string;
  code: string;
}

export type DomainFailure =
  | { kind: "validation"; detail: string; issues: FieldIssue[] }
  | { kind: "malformed_body"; detail: string }
  | { kind: "payload_too_large"; limitBytes: number }
  | { kind: "unsupported_media_type"; detail: string }
  | { kind: "unauthenticated"; detail: string }
  | { kind: "forbidden"; detail: string }
  | { kind: "not_found"; resource: string }
  | { kind: "conflict"; detail: string }
  | { kind: "method_not_allowed"; detail: string }
  | { kind: "unavailable"; detail: string }
  | { kind: "budget_refused"; detail: string; reason: string; unit: "micros" | "tokens"; limit: number; remaining: number; resetsAt: string };

export class SysopError extends Error {
  constructor(readonly failure: DomainFailure) {
    super(failure.kind);
    this.name = "SysopError";
  }
}

export const fail = (failure: DomainFailure): never => {
  throw new SysopError(failure);
};

export const notFound = (resource: string): never => fail({ kind: "not_found", resource });
export const forbidden = (detail: string): never => fail({ kind: "forbidden", detail });
export const conflict = (detail: string): never => fail({ kind: "conflict", detail });
export const unauthenticated = (detail: string): never => fail({ kind: "unauthenticated", detail });
