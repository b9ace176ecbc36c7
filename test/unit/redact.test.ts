// Unit tests for redactSecrets (workers/src/domain/audit/redact.ts), which every audit
// detail passes through before it is hashed: secret-shaped values inside strings and
// secret-named fields at any depth become "[redacted]"; everything else is left alone.
import { describe, expect, it } from "vitest";
import { REDACTED, redactSecrets } from "../../workers/src/domain/audit/redact";

const SYSOP_KEY = "sysop_abcdefgh2345_" + "qrstuvwxyz234567".repeat(3) + "abcd"; // 12 + 52 chars
const JWT =
  "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0.eyJzdWIiOiJ1c3JfMTIzIiwib3JnIjoib3JnXzEifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU_-x";
const pem = (label: string) =>
  `-----BEGIN ${label}-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END ${label}-----`;

describe("redactSecrets: secret values inside strings", () => {
  it("the sample sysop key is shaped like a real one", () => {
    expect(SYSOP_KEY).toMatch(/^sysop_[a-z2-7]{12}_[a-z2-7]{52}$/);
  });

  const cases: Array<{ name: string; input: string; expected: string }> = [
    { name: "a bare sysop API key", input: SYSOP_KEY, expected: REDACTED },
    { name: "a sysop key in a header value", input: `Bearer ${SYSOP_KEY}`, expected: `Bearer ${REDACTED}` },
    { name: "two sysop keys in prose", input: `old ${SYSOP_KEY}, new ${SYSOP_KEY}.`, expected: `old ${REDACTED}, new ${REDACTED}.` },
    { name: "a JWT", input: JWT, expected: REDACTED },
    { name: "a JWT in a header value", input: `Bearer ${JWT}`, expected: `Bearer ${REDACTED}` },
    { name: "an unsigned JWT (empty signature)", input: `t=${JWT.slice(0, JWT.lastIndexOf(".") + 1)} end`, expected: `t=${REDACTED} end` },
    { name: "a PKCS#8 private key inside text", input: `key:\n${pem("PRIVATE KEY")}\nthanks`, expected: `key:\n${REDACTED}\nthanks` },
    { name: "an RSA private key", input: pem("RSA PRIVATE KEY"), expected: REDACTED },
    { name: "an EC private key", input: pem("EC PRIVATE KEY"), expected: REDACTED },
    { name: "an OpenSSH private key", input: pem("OPENSSH PRIVATE KEY"), expected: REDACTED },
    { name: "an encrypted private key", input: pem("ENCRYPTED PRIVATE KEY"), expected: REDACTED },
    {
      name: "two private keys, text between them kept",
      input: `${pem("PRIVATE KEY")} and ${pem("EC PRIVATE KEY")}`,
      expected: `${REDACTED} and ${REDACTED}`,
    },
    { name: "a key, a JWT and a PEM together", input: `${SYSOP_KEY} ${JWT} ${pem("PRIVATE KEY")}`, expected: `${REDACTED} ${REDACTED} ${REDACTED}` },
  ];

  it.each(cases)("redacts $name", ({ input, expected }) => {
    expect(redactSecrets(input)).toBe(expected);
    expect(redactSecrets({ note: input })).toEqual({ note: expected });
    expect(redactSecrets([input])).toEqual([expected]);
  });

  const untouched: Array<{ name: string; input: string }> = [
    { name: "a key prefix (the visible part)", input: "sysop_abcdefgh2345" },
    { name: "a key row id", input: "key_abcdefgh2345" },
    { name: "a public key", input: pem("PUBLIC KEY") },
    { name: "a certificate", input: pem("CERTIFICATE") },
    { name: "ordinary prose", input: "Renamed team ops to platform; password policy unchanged." },
    { name: "an empty string", input: "" },
  ];

  it.each(untouched)("leaves $name alone", ({ input }) => {
    expect(redactSecrets(input)).toBe(input);
  });
});

describe("redactSecrets: secret-named fields", () => {
  const secretFields = [
    "password",
    "token",
    "secret",
    "api_key",
    "private_key",
    "authorization",
    "client_secret",
    "clientSecret",
    "apiKey",
    "x-api-key",
    "Client-Secret",
    "access_token",
    "refresh_token",
    "id_token",
    "secrets",
    "passwd",
    "cookie",
    "key_material",
    "github_token",
    "db_password",
    "Authorization",
    "PASSWORD",
  ];
  const values: unknown[] = ["hunter2", 12345, { nested: "object" }, ["a", "b"], null, true];

  const placements: Array<{ where: string; wrap: (field: string, v: unknown) => unknown; path: (out: any) => unknown }> = [
    { where: "at the top", wrap: (f, v) => ({ [f]: v, name: "ops" }), path: (o) => o },
    { where: "three levels deep", wrap: (f, v) => ({ a: { b: { c: { [f]: v, name: "ops" } } } }), path: (o) => o.a.b.c },
    { where: "in an object inside an array", wrap: (f, v) => ({ list: [{ name: "x" }, { [f]: v, name: "ops" }] }), path: (o) => o.list[1] },
    { where: "in an array inside an array", wrap: (f, v) => [[{ [f]: v, name: "ops" }]], path: (o) => o[0][0] },
  ];

  const cases = secretFields.flatMap((field) => placements.map((p) => ({ field, ...p })));

  it.each(cases)("redacts $field $where, whatever its value", ({ field, wrap, path }) => {
    for (const value of values) {
      const out = redactSecrets(wrap(field, value));
      expect(path(out)).toEqual({ [field]: REDACTED, name: "ops" });
    }
  });

  const ordinaryFields = ["key_id", "prefix", "token_ttl", "name", "id", "user_id", "kid", "public_key", "description", "scopes"];

  it.each(ordinaryFields)("leaves the field %s untouched at any depth", (field) => {
    const value = { plain: "value", n: 3 };
    const input = { [field]: value, deep: [{ inner: { [field]: "text" } }] };
    expect(redactSecrets(input)).toEqual(input);
  });
});

describe("redactSecrets: JSON Web Keys", () => {
  it("redacts every private member of a JWK, and only in objects that are JWKs", () => {
    const rsa = { kty: "RSA", kid: "k1", n: "modulus", e: "AQAB", d: "x", p: "x", q: "x", dp: "x", dq: "x", qi: "x" };
    expect(redactSecrets({ jwks: { keys: [rsa, { kty: "oct", k: "secret" }] } })).toEqual({
      jwks: {
        keys: [
          { kty: "RSA", kid: "k1", n: "modulus", e: "AQAB", d: REDACTED, p: REDACTED, q: REDACTED, dp: REDACTED, dq: REDACTED, qi: REDACTED },
          { kty: "oct", k: REDACTED },
        ],
      },
    });
    expect(redactSecrets({ d: 4, p: "page", k: "v" })).toEqual({ d: 4, p: "page", k: "v" });
  });
});

describe("redactSecrets: the shape of the result", () => {
  it("keeps numbers, booleans, null and structure as they were", () => {
    const input = { n: 1.5, b: false, z: null, list: [1, "two", [true]], obj: { key_id: "key_x", prefix: "sysop_x" } };
    expect(redactSecrets(input)).toEqual(input);
  });

  it("does not mutate its input", () => {
    const input = { password: "p", note: `Bearer ${SYSOP_KEY}`, list: [{ token: "t" }] };
    const before = structuredClone(input);
    const out = redactSecrets(input);
    expect(input).toEqual(before);
    expect(out).toEqual({ password: REDACTED, note: `Bearer ${REDACTED}`, list: [{ token: REDACTED }] });
  });

  it("gives the same answer on every call (no state kept between calls)", () => {
    const input = { note: `${SYSOP_KEY} ${JWT}`, again: SYSOP_KEY };
    const first = redactSecrets(input);
    expect(redactSecrets(input)).toEqual(first);
    expect(first).toEqual({ note: `${REDACTED} ${REDACTED}`, again: REDACTED });
  });
});
