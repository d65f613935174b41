import { describe, expect, it } from "vitest";
import { ApiError, buildUrl, channelSocketUrl, createClient } from "./client";

type Call = { url: string; init: RequestInit | undefined };

function fakeFetch(responses: Array<Response | Error>) {
  const calls: Call[] = [];
  const fn = async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    const next = responses.shift();
    if (!next) throw new Error("no more responses");
    if (next instanceof Error) throw next;
    return next;
  };
  return { fn: fn as typeof fetch, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const header = (c: Call | undefined, name: string) => new Headers(c?.init?.headers).get(name);

describe("buildUrl", () => {
  it("joins base, path and non-empty query parameters", () => {
    expect(buildUrl("https://api.example/", "/api/v1/servers", { sort: "hot", q: "", tag: undefined, limit: 24 })).toBe(
      "https://api.example/api/v1/servers?sort=hot&limit=24",
    );
    expect(buildUrl("", "/api/v1/stats")).toBe("/api/v1/stats");
  });
});

describe("channelSocketUrl", () => {
  it("derives ws(s) from the API base or the page origin, asks for batch frames and adds after_seq", () => {
    expect(channelSocketUrl("", "https://molt.example", "c1", 42)).toBe(
      "wss://molt.example/ws/channels/c1?frames=batch&after_seq=42",
    );
    expect(channelSocketUrl("http://127.0.0.1:8787", "https://ui.example", "c1")).toBe(
      "ws://127.0.0.1:8787/ws/channels/c1?frames=batch",
    );
    expect(channelSocketUrl("", "http://localhost:5173", "c1", 0)).toBe(
      "ws://localhost:5173/ws/channels/c1?frames=batch",
    );
  });
});

describe("createClient", () => {
  it("calls typed endpoints with query strings and parses JSON", async () => {
    const f = fakeFetch([json(200, { items: [], next_cursor: null })]);
    const api = createClient({ base: "http://x", fetch: f.fn });
    const page = await api.servers({ sort: "new", tag: "coding", q: "rust" });
    expect(page).toEqual({ items: [], next_cursor: null });
    expect(f.calls[0]?.url).toBe("http://x/api/v1/servers?sort=new&tag=coding&q=rust");
    expect(f.calls[0]?.init?.method).toBe("GET");
  });

  it("turns {error:{code,message}} into an ApiError", async () => {
    const f = fakeFetch([json(404, { error: { code: "not_found", message: "no such server" } })]);
    const api = createClient({ fetch: f.fn });
    const err = await api.server("s1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 404, code: "not_found", message: "no such server" });
  });

  it("reports non-JSON failures and network errors readably", async () => {
    const f = fakeFetch([
      new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }),
      new TypeError("fail"),
    ]);
    const api = createClient({ fetch: f.fn });
    await expect(api.stats()).rejects.toMatchObject({ status: 502, code: "http_error" });
    await expect(api.stats()).rejects.toMatchObject({ status: 0, code: "network" });
  });

  it("sends the observer token where wanted, and never on public endpoints", async () => {
    const f = fakeFetch([
      json(200, { servers: [] }),
      json(200, { agents_online: 0 }),
      json(200, { messages: [], has_more_before: false, has_more_after: false }),
    ]);
    const api = createClient({ fetch: f.fn, token: async () => "tok" });
    await api.watched();
    await api.stats();
    await api.messages("c1", { before: "m9", limit: 50 });
    expect(header(f.calls[0], "authorization")).toBe("Bearer tok");
    expect(header(f.calls[1], "authorization")).toBeNull();
    expect(header(f.calls[2], "authorization")).toBe("Bearer tok");
    expect(f.calls[2]?.url).toBe("/api/v1/channels/c1/messages?before=m9&limit=50");
  });

  it("refreshes once on 401 and retries with the new token", async () => {
    const f = fakeFetch([
      json(401, { error: { code: "unauthorized", message: "expired" } }),
      json(200, { servers: [] }),
    ]);
    let refreshed = 0;
    const api = createClient({
      fetch: f.fn,
      token: async () => "old",
      refresh: async () => {
        refreshed += 1;
        return "new";
      },
    });
    await expect(api.watched()).resolves.toEqual({ servers: [] });
    expect(refreshed).toBe(1);
    expect(header(f.calls[1], "authorization")).toBe("Bearer new");
  });

  it("refuses observer-only calls without a session and fails when refresh fails", async () => {
    const none = createClient({ fetch: fakeFetch([]).fn, token: async () => null });
    await expect(none.watch("s1")).rejects.toMatchObject({ status: 401 });
    const f = fakeFetch([json(401, { error: { code: "unauthorized", message: "expired" } })]);
    const api = createClient({ fetch: f.fn, token: async () => "old", refresh: async () => null });
    await expect(api.watched()).rejects.toMatchObject({ status: 401 });
    expect(f.calls).toHaveLength(1);
  });

  it("PUTs and DELETEs watched servers, treating 204 as empty", async () => {
    const f = fakeFetch([json(200, { id: "s1" }), new Response(null, { status: 204 })]);
    const api = createClient({ fetch: f.fn, token: async () => "t" });
    await api.watch("s1");
    await expect(api.unwatch("s1")).resolves.toBeUndefined();
    expect(f.calls.map((c) => `${c.init?.method} ${c.url}`)).toEqual([
      "PUT /api/v1/observers/me/watched/s1",
      "DELETE /api/v1/observers/me/watched/s1",
    ]);
  });

  it("posts JSON bodies for login", async () => {
    const f = fakeFetch([json(200, { api_token: "a", refresh_token: "r", token_type: "Bearer", expires_in: 900 })]);
    const api = createClient({ fetch: f.fn });
    await api.login({ email: "e@x.io", password: "pw" });
    expect(f.calls[0]?.init?.body).toBe(JSON.stringify({ email: "e@x.io", password: "pw" }));
    expect(header(f.calls[0], "content-type")).toBe("application/json");
  });
});
