// The plugin's own decisions, without a host: which messages start turns, how the context tiers map
// to OpenClaw's supplemental context, config resolution, targets, cursors, and the webhook route.
import { createHmac } from "node:crypto";
import { mkdtemp, readFile, stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { OpenClawConfig } from "openclaw/plugin-sdk/channel-core";
import { describe, expect, it } from "vitest";
import { resolveMoltStackAccount } from "../src/accounts.js";
import { supplementalFromContext } from "../src/context.js";
import { CursorStore } from "../src/cursors.js";
import { type Perspective, RecentIds, turnReason } from "../src/events.js";
import { runPair } from "../src/pair.js";
import { normalizeTarget } from "../src/targets.js";
import { handleWebhook } from "../src/webhook.js";

const SELF = "00000000-0000-7000-8000-000000000001";
const OTHER = "00000000-0000-7000-8000-000000000002";
const CH = "00000000-0000-7000-8000-0000000000c1";
const DM = "00000000-0000-7000-8000-0000000000d1";
const msg = (o: Partial<{ agent: string; channel: string; mentions: string[]; reply_to: string | null }> = {}) => ({
  agent: { id: o.agent ?? OTHER, username: "other", display_name: null },
  channel: o.channel ?? CH,
  mentions: o.mentions ?? [],
  reply_to: o.reply_to ?? null,
});
const view = (o: Partial<Perspective> = {}): Perspective => ({
  selfId: SELF,
  optedIn: new Set(),
  dmChannels: new Set([DM]),
  ownMessageIds: new Set(["mine"]),
  ...o,
});

describe("which MoltStack messages start a turn", () => {
  it("never the bot's own messages, even when they mention it in a DM", () => {
    expect(turnReason(msg({ agent: SELF, channel: DM, mentions: [SELF] }), view())).toBeNull();
  });
  it("DMs, mentions and replies to the bot always; other chatter only in opted-in channels", () => {
    expect(turnReason(msg({ channel: DM }), view())).toBe("dm");
    expect(turnReason(msg({ mentions: [SELF] }), view())).toBe("mention");
    expect(turnReason(msg({ reply_to: "mine" }), view())).toBe("reply");
    expect(turnReason(msg({ reply_to: "someone-else" }), view())).toBeNull();
    expect(turnReason(msg(), view())).toBeNull();
    expect(turnReason(msg(), view({ optedIn: new Set([CH]) }))).toBe("opted_in");
  });
  it("RecentIds forgets the oldest ids beyond its bound", () => {
    const r = new RecentIds(2);
    for (const id of ["a", "b", "c"]) r.add(id);
    expect([r.has("a"), r.has("b"), r.has("c")]).toEqual([false, true, true]);
  });
});

describe("context injection", () => {
  it("platform tier becomes the group system prompt; server and channel tiers stay untrusted", () => {
    const s = supplementalFromContext({ platform: "Be a peer.", server: "Only Rust.", channel: "Short answers." });
    expect(s.groupSystemPrompt).toBe("Be a peer.");
    expect(s.untrustedGroupSystemPrompt).toContain("Only Rust.");
    expect(s.untrustedGroupSystemPrompt).toContain("Short answers.");
    expect(s.untrustedGroupSystemPrompt).not.toContain("Be a peer.");
    expect(s.channelStructuredContext[0]?.payload).toEqual({
      platform: "Be a peer.",
      server: "Only Rust.",
      channel: "Short answers.",
    });
  });
  it("leaves out empty tiers (DMs have no server or channel instructions)", () => {
    const s = supplementalFromContext({ platform: "Be a peer.", server: null, channel: "  " });
    expect(s.untrustedGroupSystemPrompt).toBeUndefined();
  });
});

describe("account config", () => {
  const cfg = (section: Record<string, unknown>) => ({ channels: { moltstack: section } }) as unknown as OpenClawConfig;
  it("is configured with URL, username and a resolved key; a SecretRef still unresolved is reported as such", () => {
    const a = resolveMoltStackAccount(cfg({ baseUrl: "http://x/", username: "bot", privateKey: "k", channels: [CH] }));
    expect(a).toMatchObject({
      configured: true,
      baseUrl: "http://x",
      keyStatus: "available",
      channels: [CH],
      dmPolicy: "open",
    });
    const b = resolveMoltStackAccount(
      cfg({ baseUrl: "http://x", username: "bot", privateKey: { source: "env", provider: "default", id: "K" } }),
    );
    expect(b).toMatchObject({ configured: true, keyStatus: "configured_unavailable" });
    expect(resolveMoltStackAccount(cfg({ baseUrl: "http://x" })).configured).toBe(false);
  });
  it("normalises outbound targets and refuses anything that is not a channel id", () => {
    expect(normalizeTarget(`channel:${CH.toUpperCase()}`)).toBe(CH);
    expect(normalizeTarget(`moltstack:channel:${CH}`)).toBe(CH);
    expect(normalizeTarget("general")).toBeUndefined();
    // issue 18: a thread is a channel, addressed by its own id
    expect(normalizeTarget(`thread:${CH}`)).toBe(CH);
  });
});

describe("resume cursors", () => {
  it("persist the highest seq per channel (0600) and never move backwards", async () => {
    const path = join(await mkdtemp(join(tmpdir(), "ms-cursors-")), "moltstack", "default.cursors.json");
    const a = await new CursorStore(path).load();
    a.advance(CH, 5);
    a.advance(CH, 3);
    await a.flush();
    const saved = JSON.parse(await readFile(path, "utf8"));
    expect(saved[CH]).toBe(5);
    expect(saved["@last_seen"]).toBeGreaterThan(Date.now() - 60_000);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const again = await new CursorStore(path).load();
    expect(again.get(CH)).toBe(5);
    expect(again.lastSeen).toBe(saved["@last_seen"]);
    expect(again.get("@last_seen")).toBeUndefined();
  });
});

describe("webhook route", () => {
  const secret = `whsec_${"ab".repeat(32)}`;
  const cfg = {
    channels: { moltstack: { baseUrl: "http://127.0.0.1:1", username: "bot", webhookSecret: secret } },
  } as unknown as OpenClawConfig;
  const body = JSON.stringify({
    id: "00000000-0000-7000-8000-0000000000e1",
    type: "friend_request.received",
    created_at: new Date().toISOString(),
    agent_id: SELF,
    channel_id: null,
    message_id: null,
    from: { id: OTHER, username: "other" },
  });
  function request(o: { ts?: number; sig?: string; body?: string; delivery?: string } = {}) {
    const ts = String(o.ts ?? Math.floor(Date.now() / 1000));
    const b = o.body ?? body;
    const sig = o.sig ?? `v1=${createHmac("sha256", secret).update(`${ts}.${b}`).digest("hex")}`;
    const req = Object.assign(Readable.from([Buffer.from(b)]), {
      method: "POST",
      headers: {
        "x-moltstack-timestamp": ts,
        "x-moltstack-signature": sig,
        "x-moltstack-event": "friend_request.received",
        "x-moltstack-delivery": o.delivery ?? crypto.randomUUID(),
      },
    }) as unknown as IncomingMessage;
    const res = {
      statusCode: 0,
      body: "",
      setHeader() {},
      end(t: string) {
        this.body = t;
      },
    };
    return { req, res: res as unknown as ServerResponse & { body: string } };
  }
  it("accepts a correctly signed wake-up (202) and answers a redelivery of it with 200", async () => {
    const delivery = crypto.randomUUID();
    const first = request({ delivery });
    await handleWebhook(first.req, first.res, cfg);
    expect(first.res.statusCode).toBe(202);
    const again = request({ delivery });
    await handleWebhook(again.req, again.res, cfg);
    expect(again.res.statusCode).toBe(200);
  });
  it("refuses a bad signature, a tampered body and a stale timestamp with 401", async () => {
    const bad = request({ sig: "v1=00" });
    await handleWebhook(bad.req, bad.res, cfg);
    expect([bad.res.statusCode, bad.res.body]).toEqual([401, "bad signature"]);
    const signed = request();
    const tampered = request({
      sig: (signed.req.headers as Record<string, string>)["x-moltstack-signature"],
      body: body.replace("other", "mallory"),
    });
    await handleWebhook(tampered.req, tampered.res, cfg);
    expect(tampered.res.statusCode).toBe(401);
    const stale = request({ ts: Math.floor(Date.now() / 1000) - 600 });
    await handleWebhook(stale.req, stale.res, cfg);
    expect([stale.res.statusCode, stale.res.body]).toEqual([401, "timestamp outside the replay window"]);
  });
});

describe("openclaw moltstack pair", () => {
  // runPair with the SDK client replaced by a stub: the real pairing round trip (SDK → hub → owner
  // console) is proven by test/e2e/owner.e2e.mjs; the real host runs this command in openclaw-host.mjs.
  async function stateWithKey(username: string | null) {
    const { generateKey } = await import("@moltstack/sdk");
    const { saveKeyFile } = await import("@moltstack/sdk/node");
    const dir = await mkdtemp(join(tmpdir(), "moltstack-pair-"));
    if (username)
      await saveKeyFile(join(dir, "moltstack", `${username}.key.json`), await generateKey(), {
        username,
        base_url: "http://ms.test/",
      });
    return dir;
  }
  const stub = (confirmed: Promise<unknown>, seen: unknown[]) => ({
    login: async (o: { baseUrl: string; username: string; keyPath: string }) => {
      seen.push(o);
      return {
        pair: async (p: unknown) => {
          seen.push(p);
          return {
            code: "reef-X4B2",
            url: "http://ms.test/owner/pair/reef-X4B2",
            expires_at: "2026-12-02T12:10:00.000Z",
            confirmed,
            cancel: () => undefined,
          };
        },
      } as never;
    },
  });

  it("logs in as the only connected bot, prints the code and URL, and reports the owner's confirmation", async () => {
    const dir = await stateWithKey("reefbot");
    const lines: string[] = [];
    const seen: unknown[] = [];
    const ok = await runPair({ timeout: "30" }, (l) => lines.push(l), {
      stateDir: async () => dir,
      ...stub(Promise.resolve({ op: "owner_paired", owner: { display_name: "Ada" } }), seen),
    });
    expect(ok).toBe(true);
    expect(seen[0]).toMatchObject({ baseUrl: "http://ms.test", username: "reefbot" });
    expect(seen[1]).toEqual({ timeoutMs: 30_000 });
    expect(lines.join("\n")).toMatch(/reef-X4B2/);
    expect(lines.join("\n")).toMatch(/http:\/\/ms\.test\/owner\/pair\/reef-X4B2/);
    expect(lines.at(-1)).toMatch(/paired: @reefbot is now owned by Ada/);
  });

  it("fails (false) when the code expires unconfirmed, and refuses a bad timeout or a missing bot", async () => {
    const dir = await stateWithKey("reefbot");
    const lines: string[] = [];
    const expired = Promise.reject(new Error("the pairing code reef-X4B2 was not confirmed in time"));
    expired.catch(() => undefined);
    expect(await runPair({}, (l) => lines.push(l), { stateDir: async () => dir, ...stub(expired, []) })).toBe(false);
    expect(lines.at(-1)).toMatch(/not paired: .*not confirmed in time/);
    await expect(
      runPair({ timeout: "9999" }, () => undefined, { stateDir: async () => dir, ...stub(expired, []) }),
    ).rejects.toThrow(/--timeout/);
    const empty = await stateWithKey(null);
    await expect(runPair({}, () => undefined, { stateDir: async () => empty, ...stub(expired, []) })).rejects.toThrow(
      /moltstack connect/,
    );
  });
});
