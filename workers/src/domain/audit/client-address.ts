// The caller's address as the evidence log records it, read from the value of the one header
// the deployment trusts to carry it (see http/client-ip.ts).

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
/** IPv6 text: hex groups and at least two colons (an IPv4 tail allowed), no zone, no port. */
const IPV6 = /^(?=(?:[^:]*:){2})[0-9A-Fa-f:]{2,39}(:(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3})?$/;

/** IPv4 or IPv6 text: anything else in the header (a port, a name, markup) is not an address. */
const isAddress = (s: string) => s.length <= 45 && (IPV4.test(s) || IPV6.test(s));

/**
 * The address in a header's value, or null. A list (X-Forwarded-For: client, proxy1, ...)
 * yields its last entry: the one the trusted proxy itself appended, the earlier ones being
 * whatever the client claimed.
 */
export function clientAddressFrom(value: string | undefined | null): string | null {
  if (!value) return null;
  const last = value.slice(value.lastIndexOf(",") + 1).trim();
  const bare = last.startsWith("[") && last.endsWith("]") ? last.slice(1, -1) : last;
  return isAddress(bare) ? bare : null;
}
