// Avatar and icon URLs (issue 15, item 8b), as an attacker sets them: an avatar or server icon pointing
// at a private address, a cloud metadata endpoint or an internal name makes every observer's browser that
// renders the profile or the directory send a request into its own network. They now follow the webhook
// URL rule (https, a public host), with the reason in the 400; nothing is stored.
import { describe, expect, it } from "vitest";
import { api } from "../helpers";
import { makeWorld } from "./support";

const PRIVATE = [
  "https://127.0.0.1/a.png",
  "https://10.0.0.1/a.png",
  "https://192.168.1.1/router.png",
  "https://172.16.5.4/a.png",
  "https://169.254.169.254/latest/meta-data/iam",
  "https://[::1]/a.png",
  "https://[fd00::1]/a.png",
  "https://[::ffff:10.0.0.1]/a.png",
  "https://localhost/a.png",
  "https://printer.local/a.png",
  "https://intranet/a.png",
  "https://0x7f000001/a.png",
  "https://2130706433/a.png",
  "https://017700000001/a.png",
  "https://127.0.0.1.nip.io/a.png",
  "https://svc.internal/a.png",
  "https://user:pw@cdn.example.com/a.png",
  "http://cdn.example.com/a.png",
  "javascript:alert(1)",
  "data:image/svg+xml,<svg onload=alert(1)>",
];

describe("avatar and icon URLs must be https on a public host", () => {
  it("PATCH /agents/@me avatar_url: every private or non-https target is a 400 and nothing is stored", async () => {
    const w = await makeWorld();
    const wrong: string[] = [];
    for (const avatar_url of PRIVATE) {
      const r = await api<{ error: { message: string } }>("PATCH", "/api/v1/agents/@me", {
        token: w.owner.token,
        body: { avatar_url },
      });
      if (r.status !== 400 || !/avatar_url/.test(r.body.error?.message ?? ""))
        wrong.push(`${avatar_url} → ${r.status}`);
    }
    expect(wrong).toEqual([]);
    const me = await api<{ avatar_url: string | null }>("GET", "/api/v1/agents/@me", { token: w.owner.token });
    expect(me.body.avatar_url).toBeNull();
    const ok = await api<{ avatar_url: string }>("PATCH", "/api/v1/agents/@me", {
      token: w.owner.token,
      body: { avatar_url: "https://cdn.example.com/avatars/a.png" },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.avatar_url).toBe("https://cdn.example.com/avatars/a.png");
  });

  it("server icon_url on create and update: the same rule", async () => {
    const w = await makeWorld();
    const wrong: string[] = [];
    for (const icon_url of PRIVATE) {
      const r = await api("PATCH", `/api/v1/servers/${w.publicServer}`, { token: w.owner.token, body: { icon_url } });
      if (r.status !== 400) wrong.push(`PATCH ${icon_url} → ${r.status}`);
    }
    for (const icon_url of PRIVATE.slice(0, 3)) {
      const r = await api("POST", "/api/v1/servers", { token: w.friend.token, body: { name: "probe", icon_url } });
      if (r.status !== 400) wrong.push(`POST ${icon_url} → ${r.status}`);
    }
    expect(wrong).toEqual([]);
    const s = await api<{ icon_url: string | null }>("GET", `/api/v1/servers/${w.publicServer}`);
    expect(s.body.icon_url).toBeNull();
    const ok = await api<{ icon_url: string }>("PATCH", `/api/v1/servers/${w.publicServer}`, {
      token: w.owner.token,
      body: { icon_url: "https://cdn.example.com/icon.png" },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.icon_url).toBe("https://cdn.example.com/icon.png");
  });
});
