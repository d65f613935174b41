import { describe, expect, it } from "vitest";
import { checkWebhookUrl, hostnameProblem, ipv4Problem, ipv6Problem, parseIpv4, parseIpv6 } from "./ssrf";

const strict = { allowLoopback: false };
const dev = { allowLoopback: true };
const reasonOf = (url: string, policy = strict) => {
  const r = checkWebhookUrl(url, policy);
  return r.ok ? null : r.reason;
};

describe("parseIpv4 (inet_aton forms)", () => {
  it.each([
    ["127.0.0.1", 0x7f000001],
    ["127.1", 0x7f000001],
    ["2130706433", 0x7f000001],
    ["0x7f000001", 0x7f000001],
    ["0x7f.0.0.1", 0x7f000001],
    ["0177.0.0.1", 0x7f000001],
    ["017700000001", 0x7f000001],
    ["10.0.0.1.", 0x0a000001],
    ["0", 0],
    ["8.8.8.8", 0x08080808],
  ])("%s", (s, v) => expect(parseIpv4(s)).toBe(v));

  it.each(["256.0.0.1", "1.2.3.4.5", "example.com", "1.2.3.0x100", "08.1.1.1", "", "1..2"])("rejects %s", (s) =>
    expect(parseIpv4(s)).toBeNull(),
  );
});

describe("ipv4Problem", () => {
  it.each([
    "0.0.0.0",
    "10.1.2.3",
    "100.64.0.1",
    "100.127.255.255",
    "127.0.0.1",
    "127.255.255.254",
    "169.254.169.254",
    "172.16.0.1",
    "172.31.255.255",
    "192.0.0.8",
    "192.0.2.1",
    "192.168.1.1",
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
  ])("%s is not public", (ip) => expect(ipv4Problem(parseIpv4(ip) ?? -1)).not.toBeNull());

  it.each(["8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "93.184.216.34"])(
    "%s is public",
    (ip) => expect(ipv4Problem(parseIpv4(ip) ?? -1)).toBeNull(),
  );
});

describe("IPv6", () => {
  it("parses compressed forms and dotted tails", () => {
    expect(parseIpv6("::1")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("::")).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6("2001:db8::1")).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("::ffff:127.0.0.1")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIpv6("::ffff:7f00:1")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]);
    expect(parseIpv6("1:2:3:4:5:6:7:8")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const bad of ["1:2:3", ":::", "1::2::3", "fe80::1%eth0", "::ffff:1.2.3", "12345::", "1:2:3:4:5:6:7:8:9"]) {
      expect(parseIpv6(bad), bad).toBeNull();
    }
  });

  it.each([
    "::",
    "::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "64:ff9b::10.0.0.1",
    "64:ff9b:1::1",
    "2002:7f00:1::",
    "2001::1",
    "2001:db8::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fec0::1",
    "ff02::1",
    "100::1",
  ])("%s is not public", (ip) => expect(ipv6Problem(parseIpv6(ip) ?? [])).not.toBeNull());

  it.each(["2606:4700:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "2002:808:808::"])(
    "%s is public",
    (ip) => expect(ipv6Problem(parseIpv6(ip) ?? [0xfe80])).toBeNull(),
  );
});

describe("hostnameProblem", () => {
  it.each([
    "localhost",
    "LOCALHOST.",
    "api.localhost",
    "metadata.google.internal",
    "printer.local",
    "router.home.arpa",
    "intranet",
    "127.0.0.1.nip.io",
    "foo.localtest.me",
    "[::1]",
    "[fe80::1]",
    "[::ffff:7f00:1]",
    "10.0.0.1",
    "0x7f.1",
    "2130706433",
    "999.1.1.1",
  ])("refuses %s", (h) => expect(hostnameProblem(h)).not.toBeNull());

  it.each(["hooks.example.com", "agent-7.fly.dev", "xn--bcher-kva.example", "8.8.8.8", "[2606:4700:4700::1111]"])(
    "accepts %s",
    (h) => expect(hostnameProblem(h)).toBeNull(),
  );
});

describe("checkWebhookUrl", () => {
  it("accepts public https URLs and normalises them", () => {
    expect(checkWebhookUrl("https://Hooks.Example.com/wake?x=1", strict)).toEqual({
      ok: true,
      url: "https://hooks.example.com/wake?x=1",
    });
    expect(checkWebhookUrl("https://hooks.example.com:8443/w", strict).ok).toBe(true);
    expect(checkWebhookUrl("https://hooks.example.com:443/w", strict).ok).toBe(true);
  });

  it("refuses schemes other than https, with the reason", () => {
    expect(reasonOf("http://hooks.example.com/")).toMatch(/https/);
    expect(reasonOf("ftp://hooks.example.com/")).toMatch(/https/);
    expect(reasonOf("javascript:alert(1)")).toMatch(/https/);
    expect(reasonOf("not-a-url")).toMatch(/valid/);
    expect(reasonOf("not a url")).toMatch(/whitespace/);
  });

  it("refuses credentials, low ports, whitespace and overlong URLs", () => {
    expect(reasonOf("https://user:pw@hooks.example.com/")).toMatch(/credentials/);
    expect(reasonOf("https://user@hooks.example.com/")).toMatch(/credentials/);
    expect(reasonOf("https://hooks.example.com:22/")).toMatch(/port/);
    expect(reasonOf("https://hooks.example.com:80/")).toMatch(/port/);
    expect(reasonOf("https://hooks.example.com/a b")).toMatch(/whitespace/);
    expect(reasonOf(`https://hooks.example.com/${"a".repeat(2100)}`)).toMatch(/longer/);
  });

  it.each([
    "https://127.0.0.1/",
    "https://127.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0177.0.0.1/",
    "https://0/",
    "https://10.0.0.1/",
    "https://169.254.169.254/latest/meta-data",
    "https://100.64.1.1/",
    "https://[::1]/",
    "https://[::ffff:127.0.0.1]/",
    "https://[fd00::1]/",
    "https://[fe80::1]/",
    "https://[ff02::1]/",
    "https://localhost/",
    "https://localhost./",
    "https://a.b.localhost/",
    "https://db.internal/",
    "https://224.0.0.1/",
  ])("refuses %s", (url) => expect(reasonOf(url)).toMatch(/non-public|not public|names/));

  it("the development flag allows http(s)://127.0.0.1 only", () => {
    expect(checkWebhookUrl("http://127.0.0.1:8787/hook", dev).ok).toBe(true);
    expect(checkWebhookUrl("https://127.0.0.1/hook", dev).ok).toBe(true);
    expect(reasonOf("http://127.0.0.1:8787/hook")).toMatch(/https/);
    expect(reasonOf("http://localhost:8787/hook", dev)).not.toBeNull();
    expect(reasonOf("https://0x7f000001/hook", dev)).toMatch(/loopback/);
    expect(reasonOf("http://127.1:8787/hook", dev)).toMatch(/https/);
    expect(reasonOf("https://127.1/hook", dev)).toMatch(/loopback/);
    expect(reasonOf("http://10.0.0.1/hook", dev)).not.toBeNull();
    expect(reasonOf("http://hooks.example.com/", dev)).toMatch(/https/);
    expect(reasonOf("http://u:p@127.0.0.1/", dev)).toMatch(/credentials/);
  });
});
