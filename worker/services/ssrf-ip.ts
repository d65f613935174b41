// IP literal parsing and classification for the webhook URL policy (issue 6, services/ssrf.ts). IPv4 in
// every form inet_aton accepts (decimal, octal, hex, 1–4 parts); IPv6 including dotted IPv4 tails; a
// range table of everything that is not the public unicast internet, with IPv4 addresses embedded in
// IPv6 (mapped, NAT64, 6to4) checked against the IPv4 table.
/**
 * Parse an IPv4 address in any form `inet_aton` (and so many HTTP clients) accepts: 1–4 parts, each
 * decimal, octal (leading 0) or hex (0x); the last part fills the remaining bytes. Returns the 32-bit
 * value, or null when the string is not an IPv4 address at all.
 */
export function parseIpv4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop(); // trailing dot
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : Number.parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) n = Number.parseInt(p.slice(1), 8);
    else if (/^(0|[1-9]\d*)$/.test(p)) n = Number(p);
    else return null;
    if (!Number.isFinite(n)) return null;
    nums.push(n);
  }
  const last = nums.pop() ?? 0;
  if (nums.some((n) => n > 255)) return null;
  if (last >= 2 ** (8 * (4 - nums.length))) return null;
  let value = 0;
  for (const [i, n] of nums.entries()) value += n * 2 ** (8 * (3 - i));
  return value + last;
}

const v4 = (a: number, b: number, c: number, d: number) => ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;

/** [network, prefix length]: every IPv4 range that is not the public unicast internet. */
const IPV4_PRIVATE: ReadonlyArray<readonly [number, number, string]> = [
  [v4(0, 0, 0, 0), 8, "'this network' (0.0.0.0/8)"],
  [v4(10, 0, 0, 0), 8, "private (10.0.0.0/8)"],
  [v4(100, 64, 0, 0), 10, "carrier-grade NAT (100.64.0.0/10)"],
  [v4(127, 0, 0, 0), 8, "loopback (127.0.0.0/8)"],
  [v4(169, 254, 0, 0), 16, "link-local (169.254.0.0/16)"],
  [v4(172, 16, 0, 0), 12, "private (172.16.0.0/12)"],
  [v4(192, 0, 0, 0), 24, "IETF protocol assignments (192.0.0.0/24)"],
  [v4(192, 0, 2, 0), 24, "documentation (192.0.2.0/24)"],
  [v4(192, 88, 99, 0), 24, "6to4 relay (192.88.99.0/24)"],
  [v4(192, 168, 0, 0), 16, "private (192.168.0.0/16)"],
  [v4(198, 18, 0, 0), 15, "benchmarking (198.18.0.0/15)"],
  [v4(198, 51, 100, 0), 24, "documentation (198.51.100.0/24)"],
  [v4(203, 0, 113, 0), 24, "documentation (203.0.113.0/24)"],
  [v4(224, 0, 0, 0), 4, "multicast (224.0.0.0/4)"],
  [v4(240, 0, 0, 0), 4, "reserved/broadcast (240.0.0.0/4)"],
];

/** Why an IPv4 address (32-bit value) is not public, or null when it is. */
export function ipv4Problem(addr: number): string | null {
  for (const [net, bits, label] of IPV4_PRIVATE) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((addr & mask) >>> 0 === net) return label;
  }
  return null;
}

/** Parse an IPv6 literal (no brackets, no zone id) into 8 16-bit groups; null when malformed. */
export function parseIpv6(text: string): number[] | null {
  let s = text.toLowerCase();
  if (s.includes("%")) return null; // zone ids are link-local by definition
  const lastColon = s.lastIndexOf(":");
  if (lastColon < 0) return null;
  const quad = s.slice(lastColon + 1);
  if (quad.includes(".")) {
    // a dotted IPv4 tail (::ffff:127.0.0.1) is two groups; only strict dotted-decimal is valid here
    if (!/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(quad)) return null;
    const n = parseIpv4(quad) ?? 0;
    s = `${s.slice(0, lastColon + 1)}${Math.floor(n / 65536).toString(16)}:${(n % 65536).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const toGroups = (h: string) => (h === "" ? [] : h.split(":"));
  const parse = (g: string) => (/^[0-9a-f]{1,4}$/.test(g) ? Number.parseInt(g, 16) : Number.NaN);
  const head = toGroups(halves[0] ?? "").map(parse);
  const rest = halves.length === 2 ? toGroups(halves[1] ?? "").map(parse) : [];
  if ([...head, ...rest].some(Number.isNaN)) return null;
  const explicit = head.length + rest.length;
  if (halves.length === 2) {
    if (explicit > 7) return null;
    return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest];
  }
  return explicit === 8 ? head : null;
}

/** Why an IPv6 address is not public, or null when it is (embedded IPv4 addresses are checked too). */
export function ipv6Problem(g: readonly number[]): string | null {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = g6 * 65536 + g7;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0) {
    if (g5 === 0xffff) return ipv4Problem(embedded) ? `IPv4-mapped ${ipv4Problem(embedded)}` : null;
    if (g5 === 0 && g6 === 0 && g7 <= 1) return g7 === 1 ? "loopback (::1)" : "unspecified (::)";
    return "IPv4-compatible/reserved (::/96)";
  }
  if (g0 === 0x64 && g1 === 0xff9b) {
    if (g2 === 1) return "local-use NAT64 (64:ff9b:1::/48)";
    return ipv4Problem(embedded) ? `NAT64 of ${ipv4Problem(embedded)}` : null;
  }
  if (g0 === 0x2002) {
    const v = g1 * 65536 + g2;
    return ipv4Problem(v) ? `6to4 of ${ipv4Problem(v)}` : null;
  }
  if (g0 === 0x2001 && g1 === 0) return "Teredo (2001::/32)";
  if (g0 === 0x2001 && g1 === 0xdb8) return "documentation (2001:db8::/32)";
  if (g0 === 0x2001 && g1 < 0x200) return "IETF protocol assignments (2001::/23)";
  if ((g0 & 0xfe00) === 0xfc00) return "unique-local (fc00::/7)";
  if ((g0 & 0xffc0) === 0xfe80) return "link-local (fe80::/10)";
  if ((g0 & 0xffc0) === 0xfec0) return "site-local (fec0::/10)";
  if ((g0 & 0xff00) === 0xff00) return "multicast (ff00::/8)";
  if ((g0 & 0xe000) !== 0x2000) return "not global unicast (outside 2000::/3)";
  return null;
}
