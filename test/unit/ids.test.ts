// Unit tests for ids and API key material (workers/src/domain/identity/ids.ts): the key
// format and its parser, typed random ids, and slugs made from display names.
import { describe, expect, it } from "vitest";
import {
  API_KEY_PREFIX,
  looksLikeApiKey,
  newApiKey,
  newId,
  parseApiKey,
  randomBase32,
  slugify,
  type IdPrefix,
} from "../../workers/src/domain/identity/ids";

const KEY_SHAPE = /^sysop_([a-z2-7]{12})_([a-z2-7]{52})$/;
const ID12 = "abcdefgh2345";
const SECRET52 = "qrstuvwxyz234567".repeat(3) + "abcd";
const VALID = `sysop_${ID12}_${SECRET52}`;

describe("newApiKey and parseApiKey", () => {
  it("makes a key sysop_<12 base32>_<52 base32>, with a matching prefix and row id", () => {
    const { id, prefix, key } = newApiKey();
    const m = KEY_SHAPE.exec(key);
    expect(m).not.toBeNull();
    expect(prefix).toBe(`sysop_${m![1]}`);
    expect(key.startsWith(`${prefix}_`)).toBe(true);
    expect(id).toBe(`key_${m![1]}`);
    expect(API_KEY_PREFIX).toBe("sysop_");
  });

  it("round-trips: parsing a new key gives back its id and prefix", () => {
    for (let i = 0; i < 200; i++) {
      const { id, prefix, key } = newApiKey();
      expect(parseApiKey(key)).toEqual({ id, prefix });
    }
  });

  it("never repeats a key id or secret over 2,000 keys", () => {
    const keys = Array.from({ length: 2000 }, () => newApiKey());
    expect(new Set(keys.map((k) => k.id)).size).toBe(2000);
    expect(new Set(keys.map((k) => k.key.slice(-52))).size).toBe(2000);
  });

  it("parses a well-formed literal key", () => {
    expect(parseApiKey(VALID)).toEqual({ id: `key_${ID12}`, prefix: `sysop_${ID12}` });
  });

  const nearMisses: Array<{ name: string; key: string }> = [
    { name: "empty", key: "" },
    { name: "prefix only", key: `sysop_${ID12}` },
    { name: "prefix and underscore only", key: `sysop_${ID12}_` },
    { name: "wrong prefix", key: `sysap_${ID12}_${SECRET52}` },
    { name: "prefix with a hyphen", key: `sysop-${ID12}_${SECRET52}` },
    { name: "uppercase prefix", key: `SYSOP_${ID12}_${SECRET52}` },
    { name: "no prefix", key: `${ID12}_${SECRET52}` },
    { name: "key id of 11", key: `sysop_${ID12.slice(1)}_${SECRET52}` },
    { name: "key id of 13", key: `sysop_${ID12}a_${SECRET52}` },
    { name: "secret of 51", key: `sysop_${ID12}_${SECRET52.slice(1)}` },
    { name: "secret of 53", key: `sysop_${ID12}_${SECRET52}a` },
    { name: "uppercase in the key id", key: `sysop_${ID12.toUpperCase()}_${SECRET52}` },
    { name: "uppercase in the secret", key: `sysop_${ID12}_Q${SECRET52.slice(1)}` },
    { name: "all uppercase", key: VALID.toUpperCase() },
    { name: "non-base32 digit 0 in the id", key: `sysop_0${ID12.slice(1)}_${SECRET52}` },
    { name: "non-base32 digit 1 in the secret", key: `sysop_${ID12}_1${SECRET52.slice(1)}` },
    { name: "non-base32 digits 8 and 9", key: `sysop_${ID12}_89${SECRET52.slice(2)}` },
    { name: "double underscore after the prefix", key: `sysop__${ID12}_${SECRET52}` },
    { name: "double underscore before the secret", key: `sysop_${ID12}__${SECRET52}` },
    { name: "extra underscore inside the secret", key: `sysop_${ID12}_${SECRET52.slice(0, 26)}_${SECRET52.slice(26)}` },
    { name: "trailing underscore", key: `${VALID}_` },
    { name: "hyphen instead of the separator", key: `sysop_${ID12}-${SECRET52}` },
    { name: "leading space", key: ` ${VALID}` },
    { name: "trailing space", key: `${VALID} ` },
    { name: "trailing newline", key: `${VALID}\n` },
    { name: "Bearer scheme left on", key: `Bearer ${VALID}` },
    { name: "two keys glued", key: `${VALID}${VALID}` },
  ];

  it.each(nearMisses)("rejects a near miss: $name", ({ key }) => {
    expect(parseApiKey(key)).toBeNull();
  });

  it("looksLikeApiKey only checks the prefix", () => {
    expect(looksLikeApiKey(VALID)).toBe(true);
    expect(looksLikeApiKey("sysop_anything")).toBe(true);
    expect(looksLikeApiKey("eyJhbGciOi.x.y")).toBe(false);
    expect(looksLikeApiKey("SYSOP_x")).toBe(false);
  });
});

describe("newId", () => {
  const prefixes: IdPrefix[] = ["org", "usr", "agt", "svc", "team", "repo", "key", "oidc", "req"];

  it.each(prefixes)("%s ids are <prefix>_<20 base32> and unique over 10,000 draws", (prefix) => {
    const ids = Array.from({ length: 10_000 }, () => newId(prefix));
    for (const id of ids) expect(id).toMatch(new RegExp(`^${prefix}_[a-z2-7]{20}$`));
    expect(new Set(ids).size).toBe(10_000);
  });
});

describe("randomBase32", () => {
  it.each([0, 1, 12, 52, 200])("returns exactly %i characters of the base32 alphabet", (n) => {
    expect(randomBase32(n)).toMatch(new RegExp(`^[a-z2-7]{${n}}$`));
  });

  it("uses all 32 characters and no others", () => {
    const seen = new Set(randomBase32(20_000));
    expect([...seen].sort().join("")).toBe("234567abcdefghijklmnopqrstuvwxyz");
  });
});

describe("slugify", () => {
  const cases: Array<{ name: string; expected: string }> = [
    { name: "Platform", expected: "platform" },
    { name: "Hello World", expected: "hello-world" },
    { name: "  Platform Team  ", expected: "platform-team" },
    { name: "R&D / Ops", expected: "r-d-ops" },
    { name: "Team 42", expected: "team-42" },
    { name: "already-a-slug", expected: "already-a-slug" },
    { name: "snake_case_name", expected: "snake-case-name" },
    { name: "--Edge--Case--", expected: "edge-case" },
    { name: "Café Crème", expected: "cafe-creme" },
    { name: "Ünïcödé Ñame", expected: "unicode-name" },
    { name: "ﬁnance", expected: "finance" }, // the "fi" ligature decomposes under NFKD
    { name: "Ｆｕｌｌｗｉｄｔｈ", expected: "fullwidth" },
    { name: "日本語", expected: "" },
    { name: "!!!", expected: "" },
    { name: "", expected: "" },
    { name: "a".repeat(60), expected: "a".repeat(48) },
  ];

  it.each(cases)("$name → $expected", ({ name, expected }) => {
    expect(slugify(name)).toBe(expected);
  });

  const long = [
    "a".repeat(47) + " tail",
    "a".repeat(47) + "!!!tail",
    "word ".repeat(20),
    "x".repeat(46) + " é " + "y".repeat(10),
  ];

  it.each(long)("a slug cut at 48 characters never ends with a hyphen: %j", (name) => {
    const slug = slugify(name);
    expect(slug.length).toBeLessThanOrEqual(48);
    expect(slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
  });

  it("is idempotent", () => {
    for (const { name } of cases) expect(slugify(slugify(name))).toBe(slugify(name));
  });
});
