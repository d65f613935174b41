// Webhook URL policy (issue 6, "SSRF"): a wake-up POST must only ever reach the public internet. Pure
// functions, checked when a URL is configured AND again before every delivery attempt (the policy may have
// tightened since). Delivery never follows redirects (worker/services/webhooks-delivery.ts), so the host
// checked here is the only host ever contacted. Names that *resolve* to private addresses cannot be checked
// from a Worker (no DNS API); Cloudflare's outbound fetch does not route to private networks, and a short
// list of well-known "resolves to loopback" domains is refused here as defence in depth.
import { LIMITS } from "../../common/limits";
import { ipv4Problem, ipv6Problem, parseIpv4, parseIpv6 } from "./ssrf-ip";

export { ipv4Problem, ipv6Problem, parseIpv4, parseIpv6 };

export type UrlCheck = { ok: true; url: string } | { ok: false; reason: string };

export interface UrlPolicy {
  /** development and tests only (ALLOW_LOOPBACK_WEBHOOKS=true): http(s)://127.0.0.1[:port] is accepted */
  allowLoopback: boolean;
}

const refuse = (reason: string): UrlCheck => ({ ok: false, reason });

/** Suffixes that are private by definition or convention (RFC 6761, RFC 6762, RFC 8375, common LAN names). */
const PRIVATE_SUFFIXES = [
  "localhost",
  "local",
  "internal",
  "localdomain",
  "home.arpa",
  "lan",
  "intranet",
  "corp",
  "private",
  "invalid",
  "test",
  "onion",
];

/** Public wildcard-DNS services whose names resolve to whatever address they embed (often 127.0.0.1). */
const REBINDING_DOMAINS = ["nip.io", "sslip.io", "xip.io", "localtest.me", "lvh.me", "vcap.me", "traefik.me"];

const endsWithDomain = (host: string, domain: string) => host === domain || host.endsWith(`.${domain}`);

/** Why a hostname (as URL.hostname gives it) may not receive webhooks, or null when it may. */
export function hostnameProblem(rawHost: string): string | null {
  const host = rawHost.toLowerCase().replace(/\.+$/, "");
  if (!host) return "the URL has no host";
  if (host.startsWith("[")) {
    const groups = parseIpv6(host.slice(1, -1));
    if (!groups) return "malformed IPv6 address";
    const p = ipv6Problem(groups);
    return p ? `IP address in a non-public range: ${p}` : null;
  }
  const ip = parseIpv4(host);
  if (ip !== null) {
    const p = ipv4Problem(ip);
    return p ? `IP address in a non-public range: ${p}` : null;
  }
  // anything numeric-looking that is not a valid address (e.g. 256.1.1.1) is refused rather than guessed
  if (/^[0-9.]+$/.test(host) || /^0x/i.test(host.split(".").pop() ?? "")) return "malformed IPv4 address";
  for (const s of PRIVATE_SUFFIXES) if (endsWithDomain(host, s)) return `'${s}' names are not public`;
  for (const d of REBINDING_DOMAINS) if (endsWithDomain(host, d)) return `${d} names resolve to arbitrary addresses`;
  if (!host.includes(".")) return "single-label hostnames are not public";
  if (!/^[a-z0-9.-]+$/.test(host)) return "hostname contains characters that are not allowed";
  return null;
}

const LOOPBACK_HOST = "127.0.0.1";
const LOOPBACK_LITERAL = /^https?:\/\/127\.0\.0\.1(:\d{1,5})?([/?#]|$)/i;

/**
 * Is `raw` acceptable as a webhook URL? https with a public hostname, port 443 or ≥ 1024, no credentials.
 * With `allowLoopback`, http(s)://127.0.0.1[:port] is also accepted (development and tests).
 * Returns the normalised URL (as the WHATWG parser serialises it) or a human-readable reason.
 */
export function checkWebhookUrl(raw: string, policy: UrlPolicy): UrlCheck {
  if (raw.length > LIMITS.webhookUrlChars) return refuse(`URL longer than ${LIMITS.webhookUrlChars} characters`);
  if (/[\s\\]/.test(raw)) return refuse("URL contains whitespace or backslashes");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("not a valid absolute URL");
  }
  if (url.username || url.password) return refuse("credentials in the URL are not allowed");
  // the development exception is for the literal address only (not 127.1, 0x7f000001, localhost, ...)
  const loopback = policy.allowLoopback && url.hostname === LOOPBACK_HOST && LOOPBACK_LITERAL.test(raw);
  if (loopback) {
    if (url.protocol !== "http:" && url.protocol !== "https:") return refuse("only https:// URLs are allowed");
    return { ok: true, url: url.toString() };
  }
  if (url.protocol !== "https:") return refuse("only https:// URLs are allowed");
  const problem = hostnameProblem(url.hostname);
  if (problem) return refuse(problem);
  if (url.port !== "") {
    const port = Number(url.port);
    if (port !== 443 && port < 1024) return refuse("port must be 443 or 1024–65535");
  }
  return { ok: true, url: url.toString() };
}

export const urlPolicyFrom = (env: { ALLOW_LOOPBACK_WEBHOOKS?: string }): UrlPolicy => ({
  allowLoopback: env.ALLOW_LOOPBACK_WEBHOOKS === "true",
});

/**
 * Avatar and icon URLs (issue 15, item 8b): observers' browsers load them, so a private address or an
 * internal name would make every viewer's browser probe its own network. Same rule as webhooks — https, a
 * public host, no credentials — and never the development loopback exception.
 */
export function checkImageUrl(raw: string): UrlCheck {
  return checkWebhookUrl(raw, { allowLoopback: false });
}
