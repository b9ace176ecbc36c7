// Unit tests for clientAddressFrom (workers/src/domain/audit/client-address.ts): the evidence log's caller
// address from the one trusted header's value; anything that is not an address is dropped.
import { describe, expect, it } from "vitest";
import { clientAddressFrom } from "../../workers/src/domain/audit/client-address";

describe("clientAddressFrom", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    [" 203.0.113.7 ", "203.0.113.7"],
    ["2001:db8::1", "2001:db8::1"],
    ["[2001:db8::1]", "2001:db8::1"],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
  ])("reads the address %j", (value, ip) => {
    expect(clientAddressFrom(value)).toBe(ip);
  });

  it("takes a list's last entry: the one the trusted proxy appended, not what the client claimed", () => {
    expect(clientAddressFrom("10.0.0.1, 203.0.113.7")).toBe("203.0.113.7");
    expect(clientAddressFrom("spoofed,198.51.100.2")).toBe("198.51.100.2");
    expect(clientAddressFrom("198.51.100.2, spoofed")).toBeNull();
  });

  it.each([undefined, null, "", "unknown", "256.1.1.1", "1.2.3", "1.2.3.4.5", ":", "<script>alert(1)</script>", "203.0.113.7:443", "1".repeat(46), "fe80::1%eth0", "a b"])(
    "drops %j: not an address",
    (value) => {
      expect(clientAddressFrom(value)).toBeNull();
    },
  );
});
