// Unit tests for problemFor (workers/src/http/problem.ts): every DomainFailure kind maps to
// its RFC 9457 status, title and a stable type URL; validation problems list the issues.
import { describe, expect, it } from "vitest";
import type { DomainFailure, FieldIssue } from "../../workers/src/domain/errors";
import { SysopError, conflict, fail, forbidden, notFound, unauthenticated } from "../../workers/src/domain/errors";
import { INTERNAL_PROBLEM, PROBLEM_BASE, problemFor, problemResponse } from "../../workers/src/http/problem";

const ISSUES: FieldIssue[] = [
  { path: "body.org_name", message: "Required", code: "invalid_type" },
  { path: "query.limit", message: "Too big", code: "too_big" },
];

// Keyed by kind, so a new kind in DomainFailure fails the type check until it is listed here.
const CASES: { [K in DomainFailure["kind"]]: { failure: Extract<DomainFailure, { kind: K }>; status: number; slug: string; detail: string } } = {
  validation: { failure: { kind: "validation", detail: "Bad input", issues: ISSUES }, status: 422, slug: "validation", detail: "Bad input" },
  malformed_body: { failure: { kind: "malformed_body", detail: "Not JSON" }, status: 400, slug: "malformed-body", detail: "Not JSON" },
  payload_too_large: {
    failure: { kind: "payload_too_large", limitBytes: 65536 },
    status: 413,
    slug: "payload-too-large",
    detail: "The body exceeds 65536 bytes.",
  },
  unsupported_media_type: {
    failure: { kind: "unsupported_media_type", detail: "Send application/json" },
    status: 415,
    slug: "unsupported-media-type",
    detail: "Send application/json",
  },
  unauthenticated: { failure: { kind: "unauthenticated", detail: "No key" }, status: 401, slug: "unauthenticated", detail: "No key" },
  forbidden: { failure: { kind: "forbidden", detail: "Needs teams:write" }, status: 403, slug: "forbidden", detail: "Needs teams:write" },
  not_found: { failure: { kind: "not_found", resource: "team" }, status: 404, slug: "not-found", detail: "No team with that id in your org." },
  conflict: { failure: { kind: "conflict", detail: "Slug taken" }, status: 409, slug: "conflict", detail: "Slug taken" },
  method_not_allowed: {
    failure: { kind: "method_not_allowed", detail: "Use POST" },
    status: 405,
    slug: "method-not-allowed",
    detail: "Use POST",
  },
  unavailable: {
    failure: { kind: "unavailable", detail: "Slack is not configured" },
    status: 503,
    slug: "unavailable",
    detail: "Slack is not configured",
  },
  budget_refused: {
    failure: { kind: "budget_refused", detail: "Over budget", reason: "limit_micros", unit: "micros", limit: 100, remaining: 5, resetsAt: "2026-12-01T00:00:00.000Z" },
    status: 402,
    slug: "budget-refused",
    detail: "Over budget",
  },
};

describe("problemFor", () => {
  it.each(Object.entries(CASES))("%s → status and type URL", (_kind, { failure, status, slug, detail }) => {
    const p = problemFor(failure);
    expect(p.status).toBe(status);
    expect(p.type).toBe(`${PROBLEM_BASE}${slug}`);
    expect(p.type).toMatch(/^https:\/\/sysop\.dev\/problems\/[a-z]+(-[a-z]+)*$/);
    expect(p.detail).toBe(detail);
    expect(p.title).toMatch(/\S/);
  });

  it("gives each kind its own type URL and title", () => {
    const problems = Object.values(CASES).map(({ failure }) => problemFor(failure));
    expect(new Set(problems.map((p) => p.type)).size).toBe(problems.length);
    expect(new Set(problems.map((p) => p.title)).size).toBe(problems.length);
  });

  it("validation problems carry the issues", () => {
    expect(problemFor(CASES.validation.failure)).toEqual({
      type: `${PROBLEM_BASE}validation`,
      title: "Invalid request",
      status: 422,
      detail: "Bad input",
      issues: ISSUES,
    });
  });

  it("payload too large carries the limit", () => {
    expect(problemFor(CASES.payload_too_large.failure).limit_bytes).toBe(65536);
  });

  it.each(Object.entries(CASES).filter(([k]) => k !== "validation"))("%s carries no issues", (_kind, { failure }) => {
    expect(problemFor(failure)).not.toHaveProperty("issues");
  });

  it("throws on a kind it does not know rather than guessing a status", () => {
    expect(() => problemFor({ kind: "teapot" } as unknown as DomainFailure)).toThrow(/unmapped failure/);
  });

  it("the internal problem is a 500 with no internal detail", () => {
    expect(INTERNAL_PROBLEM).toMatchObject({ type: `${PROBLEM_BASE}internal`, status: 500 });
  });
});

describe("the failure helpers throw a SysopError carrying the failure", () => {
  const cases: Array<{ name: string; run: () => never; failure: DomainFailure }> = [
    { name: "notFound", run: () => notFound("repo"), failure: { kind: "not_found", resource: "repo" } },
    { name: "forbidden", run: () => forbidden("no"), failure: { kind: "forbidden", detail: "no" } },
    { name: "conflict", run: () => conflict("taken"), failure: { kind: "conflict", detail: "taken" } },
    { name: "unauthenticated", run: () => unauthenticated("who"), failure: { kind: "unauthenticated", detail: "who" } },
    { name: "fail", run: () => fail({ kind: "malformed_body", detail: "x" }), failure: { kind: "malformed_body", detail: "x" } },
  ];

  it.each(cases)("$name", ({ run, failure }) => {
    try {
      run();
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SysopError);
      expect((e as SysopError).failure).toEqual(failure);
      expect((e as SysopError).message).toBe(failure.kind);
    }
  });
});

describe("problemResponse", () => {
  it("sends problem+json with the status and body", async () => {
    const body = problemFor(CASES.forbidden.failure);
    const res = problemResponse(body, { "x-request-id": "req_1" });
    expect(res.status).toBe(403);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("x-request-id")).toBe("req_1");
    expect(res.headers.get("www-authenticate")).toBeNull();
    expect(await res.json()).toEqual(body);
  });

  it("adds a Bearer challenge to 401s (RFC 6750 §3)", () => {
    const res = problemResponse(problemFor(CASES.unauthenticated.failure));
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="sysop"');
  });
});
