// Unit tests for constantTimeEqual (workers/src/domain/identity/constant-time.ts), used to
// compare secrets and MACs.
import { describe, expect, it } from "vitest";
import { constantTimeEqual } from "../../workers/src/domain/identity/constant-time";

describe("constantTimeEqual", () => {
  const secret = "qrstuvwxyz234567".repeat(3) + "abcd";
  const cases: Array<{ name: string; a: string; b: string; equal: boolean }> = [
    { name: "identical strings", a: secret, b: secret, equal: true },
    { name: "both empty", a: "", b: "", equal: true },
    { name: "one character", a: "x", b: "x", equal: true },
    { name: "non-ASCII, equal", a: "clé✓", b: "clé✓", equal: true },
    { name: "first character differs", a: "a" + secret.slice(1), b: "b" + secret.slice(1), equal: false },
    { name: "last character differs", a: secret.slice(0, -1) + "a", b: secret.slice(0, -1) + "b", equal: false },
    { name: "middle character differs", a: secret, b: secret.slice(0, 26) + "A" + secret.slice(27), equal: false },
    { name: "case differs", a: "abc", b: "ABC", equal: false },
    { name: "empty vs non-empty", a: "", b: "a", equal: false },
    { name: "non-empty vs empty", a: "a", b: "", equal: false },
    { name: "prefix of the other", a: secret.slice(0, 20), b: secret, equal: false },
    { name: "longer by a trailing NUL", a: "abc\0", b: "abc", equal: false },
    { name: "empty vs a NUL", a: "", b: "\0", equal: false },
    { name: "same length, all different", a: "aaaa", b: "bbbb", equal: false },
    { name: "non-ASCII, differs", a: "clé", b: "cle", equal: false },
  ];

  it.each(cases)("$name → $equal", ({ a, b, equal }) => {
    expect(constantTimeEqual(a, b)).toBe(equal);
    expect(constantTimeEqual(b, a)).toBe(equal);
  });
});
