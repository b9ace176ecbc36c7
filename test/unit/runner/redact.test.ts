// The runner's redaction (sandbox-bridge/src/redact.mjs): declared secret values and common
// token shapes become [REDACTED] in every line it sends; ordinary text is left alone.
import { describe, expect, it } from "vitest";
import { redact } from "./modules";

const { REDACTED, createRedactor, createLineRedactor } = redact;
const SECRET = "hunter2-Blue-Zebra-7731";
const r = createRedactor([SECRET, "ab"]);
const pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE\nbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----";

describe("createRedactor", () => {
  const cases: Array<[string, string, string]> = [
    ["a declared secret value", `token=${SECRET}!`, `token=${REDACTED}!`],
    ["a declared secret twice", `${SECRET} ${SECRET}`, `${REDACTED} ${REDACTED}`],
    ["a sysop API key", "key sysop_abcdefgh2345_qrstuvwxyz234567qrstuvwxyz234567qrstuvwxyz234567abcd.", `key ${REDACTED}.`],
    ["a sysop enrolment token", "sysop_enr_a1b2c3d4e5f6_0123456789abcdef0123456789abcdef", REDACTED],
    ["a GitHub token", "ghp_0123456789abcdefghijABCDEFGHIJ012345", REDACTED],
    ["a fine-grained GitHub token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", REDACTED],
    ["an Anthropic key", "ANTHROPIC_API_KEY=sk-ant-api03-abcdefghijklmnopqrstuvwxyz", `ANTHROPIC_API_KEY=${REDACTED}`],
    ["an OpenAI key", "sk-proj-abcdefghijklmnop1234", REDACTED],
    ["an AWS access key id", "aws AKIAIOSFODNN7EXAMPLE end", `aws ${REDACTED} end`],
    ["a bearer token", "Authorization: Bearer abc.def-ghi_123", `Authorization: Bearer ${REDACTED}`],
    ["a lower-case bearer", "authorization: bearer s3cr3tvalue", `authorization: bearer ${REDACTED}`],
    ["a JWT", "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl", REDACTED],
    ["a PEM private key block", `key:\n${pem}\ndone`, `key:\n${REDACTED}\ndone`],
    ["an unterminated PEM block", "-----BEGIN PRIVATE KEY-----\nMIIEv", REDACTED],
    ["a password in a URL", "cloning https://bot:tok3n@git.example.com/r.git", `cloning https://bot:${REDACTED}@git.example.com/r.git`],
    ["a Slack token", "xoxb-1234567890-abcdefghij", REDACTED],
    ["an npm token", "npm_abcdefghijklmnopqrstuvwxyz0123456789", REDACTED],
  ];
  it.each(cases)("redacts %s", (_name, input, expected) => {
    expect(r(input)).toBe(expected);
  });

  const untouched = [
    "sk-short",
    "the Bearer of bad news",
    "task-1234 and job_abc passed",
    "a public key: -----BEGIN PUBLIC KEY-----",
    "sysop_runner is running",
    "about: tabs and apples", // contains "ab" but secrets under 4 characters are never redacted
  ];
  it.each(untouched)("leaves %j alone", (text) => {
    expect(r(text)).toBe(text);
  });

  it("the longer of two overlapping secrets is redacted whole", () => {
    expect(createRedactor(["abcd", "abcdefgh"])("x abcdefgh y")).toBe(`x ${REDACTED} y`);
  });

  it("with shapes off only declared values go (a diff may hold token-shaped fixtures)", () => {
    const valuesOnly = createRedactor([SECRET], { shapes: false });
    expect(valuesOnly(`ghp_0123456789abcdefghijABCDEFGHIJ012345 ${SECRET}`)).toBe(`ghp_0123456789abcdefghijABCDEFGHIJ012345 ${REDACTED}`);
  });
});

describe("createLineRedactor", () => {
  it("redacts every line of a PEM block that arrives line by line", () => {
    const lines = createLineRedactor(r);
    const out = ["before", "x -----BEGIN RSA PRIVATE KEY-----", "MIIEowIBAAKCAQEA", "abcdef", "-----END RSA PRIVATE KEY----- after", "next"].map(lines);
    expect(out).toEqual(["before", `x ${REDACTED}`, REDACTED, REDACTED, `${REDACTED} after`, "next"]);
  });

  it("a one-line block and secrets on ordinary lines", () => {
    const lines = createLineRedactor(r);
    expect(lines("-----BEGIN PRIVATE KEY-----abc-----END PRIVATE KEY----- tail")).toBe(`${REDACTED} tail`);
    expect(lines(`t=${SECRET}`)).toBe(`t=${REDACTED}`);
  });
});
