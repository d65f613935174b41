// The key a client address is counted under (issue 15, item 7). IPv4: the address. IPv6: its /64 — one
// subscriber is routinely given a whole /64 (2^64 addresses), so counting full addresses gave one
// attacker 2^64 buckets of every per-IP limit. An IPv4-mapped IPv6 address counts as its IPv4 address.
// Used by every per-IP limit (registration, login, refresh, anonymous reads, searches and sockets);
// audit rows keep the full address.

/** Expand an IPv6 literal to 8 groups; null when it is not one. */
function ipv6Groups(text: string): number[] | null {
  let s = text.toLowerCase().replace(/^\[|\]$/g, "");
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  const tail = s.slice(s.lastIndexOf(":") + 1);
  if (tail.includes(".")) {
    const q = tail.split(".").map(Number);
    if (q.length !== 4 || q.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) return null;
    const [a = 0, b = 0, c = 0, d = 0] = q;
    s = `${s.slice(0, s.length - tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const part = (h: string | undefined) => (h ? h.split(":") : []);
  const head = part(halves[0]);
  const rest = part(halves[1]);
  const all = [...head, ...rest];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  const nums = (a: string[]) => a.map((g) => Number.parseInt(g, 16));
  if (halves.length === 1) return all.length === 8 ? nums(all) : null;
  if (all.length > 7) return null;
  return [...nums(head), ...new Array<number>(8 - all.length).fill(0), ...nums(rest)];
}

/** "unknown" without an address; IPv4 as is; IPv6 as its /64 ("2001:db8:1:2::/64"). */
export function ipBucket(ip: string | null | undefined): string {
  const raw = (ip ?? "").trim();
  if (!raw) return "unknown";
  if (!raw.includes(":")) return raw.slice(0, 64);
  const g = ipv6Groups(raw);
  if (!g) return `raw:${raw.slice(0, 64)}`;
  // ::ffff:a.b.c.d is an IPv4 client
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    const [hi = 0, lo = 0] = g.slice(6);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return `${g
    .slice(0, 4)
    .map((x) => x.toString(16))
    .join(":")}::/64`;
}
