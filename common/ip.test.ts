import { describe, expect, it } from "vitest";
import { ipBucket } from "./ip";

describe("ipBucket", () => {
  it("keys IPv4 by address and IPv6 by its /64, whatever the notation", () => {
    expect(ipBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(ipBucket("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001:0DB8:0001:0002:ffff:ffff:ffff:fffe")).toBe("2001:db8:1:2::/64");
    expect(ipBucket("[2001:db8:1:2:0:0:0:9]")).toBe("2001:db8:1:2::/64");
    expect(ipBucket("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(ipBucket("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(ipBucket("::ffff:198.51.100.4")).toBe("198.51.100.4");
    expect(ipBucket(null)).toBe("unknown");
    expect(ipBucket("")).toBe("unknown");
    expect(ipBucket("not:an:address:::")).toBe("raw:not:an:address:::");
  });
});
