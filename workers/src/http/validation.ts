// Turns zod failures from any request part into the one validation problem, naming each
// bad field as "<part>.<path>" (body, query, path, header).
import type { ZodError } from "zod";
import { SysopError, type FieldIssue } from "../domain/errors";

const PART: Record<string, string> = { json: "body", form: "body", query: "query", param: "path", header: "header", cookie: "cookie" };

export function fieldIssues(error: ZodError, target: string): FieldIssue[] {
  const part = PART[target] ?? target;
  return error.issues.flatMap((i): FieldIssue[] => {
    const at = [part, ...i.path.map(String)];
    // Name each unknown field itself, so "body.extra" points at what to remove.
    if (i.code === "unrecognized_keys") {
      return i.keys.map((k) => ({ path: [...at, k].join("."), message: "unknown field", code: i.code }));
    }
    return [{ path: at.join("."), message: i.message, code: i.code }];
  });
}

export function validationError(error: ZodError, target: string): SysopError {
  const issues = fieldIssues(error, target);
  const names = [...new Set(issues.map((i) => i.path))].slice(0, 5).join(", ");
  return new SysopError({ kind: "validation", detail: `Invalid ${names}.`, issues });
}
