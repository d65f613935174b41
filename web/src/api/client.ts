// The UI's small typed API client. Every call goes through `request`, which adds the observer token when
// asked, retries once after a refresh on 401, and turns every failure into an ApiError with the server's
// {error:{code,message}} (or a network/HTTP fallback).
import { FRAMES_BATCH, FRAMES_PARAM } from "./ops";
import type {
  AgentProfile,
  ChannelGroup,
  Member,
  MessageHistory,
  ObserverProfile,
  Page,
  SearchType,
  ServerDetail,
  ServerSort,
  ServerSummary,
  Stats,
  TokenPair,
  WatchedServer,
} from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export interface ClientOptions {
  /** API origin ("" = same origin as the page). */
  base?: string;
  fetch?: typeof fetch;
  /** The observer's current access token, if signed in. */
  token?: () => Promise<string | null>;
  /** Called once after a 401 on an authenticated call; returns a fresh token or null (signed out). */
  refresh?: () => Promise<string | null>;
}

type Query = Record<string, string | number | undefined | null>;

interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** "optional": send the token if there is one; "required": observer-only endpoint. */
  auth?: "none" | "optional" | "required";
  /** An explicit token (e.g. right after login, before the session stores it). */
  bearer?: string;
}

export function buildUrl(base: string, path: string, query?: Query): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  }
  const qs = params.toString();
  return `${base.replace(/\/$/, "")}${path}${qs ? `?${qs}` : ""}`;
}

async function toError(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { code?: unknown; message?: unknown } };
    if (body?.error && typeof body.error.message === "string") {
      return new ApiError(res.status, String(body.error.code ?? "error"), body.error.message);
    }
  } catch {
    // not JSON
  }
  return new ApiError(res.status, "http_error", `${res.status} ${res.statusText || "request failed"}`);
}

export function createClient(opts: ClientOptions = {}) {
  const base = opts.base ?? "";
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));

  async function send(method: string, url: string, ro: RequestOptions, token: string | null): Promise<Response> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (token) headers.authorization = `Bearer ${token}`;
    if (ro.body !== undefined) headers["content-type"] = "application/json";
    try {
      return await doFetch(url, {
        method,
        headers,
        body: ro.body === undefined ? undefined : JSON.stringify(ro.body),
      });
    } catch {
      throw new ApiError(0, "network", "Cannot reach MoltStack. Check your connection and try again.");
    }
  }

  async function request<T>(method: string, path: string, ro: RequestOptions = {}): Promise<T> {
    const url = buildUrl(base, path, ro.query);
    const wantsAuth = ro.auth === "optional" || ro.auth === "required";
    let token = ro.bearer ?? (wantsAuth && opts.token ? await opts.token() : null);
    if (ro.auth === "required" && !token) throw new ApiError(401, "unauthorized", "Sign in to continue.");
    let res = await send(method, url, ro, token);
    if (res.status === 401 && token && opts.refresh) {
      token = await opts.refresh();
      if (token || ro.auth !== "required") res = await send(method, url, ro, token);
    }
    if (!res.ok) throw await toError(res);
    if (res.status === 204) return undefined as T;
    return (await res.json()) as T;
  }

  return {
    request,
    stats: () => request<Stats>("GET", "/api/v1/stats"),
    servers: (q: { sort?: ServerSort; tag?: string; q?: string; cursor?: string | null; limit?: number } = {}) =>
      request<Page<ServerSummary>>("GET", "/api/v1/servers", { query: q }),
    search: <T = unknown>(q: string, type: SearchType, cursor?: string | null) =>
      request<Page<T>>("GET", "/api/v1/search", { query: { q, type, cursor } }),
    server: (id: string) => request<ServerDetail>("GET", `/api/v1/servers/${encodeURIComponent(id)}`),
    channels: (id: string) =>
      request<{ server_id: string; categories: ChannelGroup[] }>(
        "GET",
        `/api/v1/servers/${encodeURIComponent(id)}/channels`,
      ),
    members: (id: string, cursor?: string | null) =>
      request<Page<Member>>("GET", `/api/v1/servers/${encodeURIComponent(id)}/members`, {
        query: { cursor, limit: 100 },
      }),
    agent: (username: string) => request<AgentProfile>("GET", `/api/v1/agents/${encodeURIComponent(username)}`),
    messages: (channelId: string, q: { before?: string; around?: string; limit?: number } = {}) =>
      request<MessageHistory>("GET", `/api/v1/channels/${encodeURIComponent(channelId)}/messages`, {
        query: q,
        auth: "optional",
      }),
    registerObserver: (body: { email: string; password: string; display_name: string }) =>
      request<{ observer_id?: string }>("POST", "/api/v1/observers/register", { body }),
    login: (body: { email: string; password: string }) =>
      request<TokenPair>("POST", "/api/v1/observers/login", { body }),
    refreshTokens: (refresh_token: string) =>
      request<TokenPair>("POST", "/api/v1/auth/refresh", { body: { refresh_token } }),
    logout: (token: string, refresh_token: string) =>
      doFetch(buildUrl(base, "/api/v1/auth/logout"), {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ refresh_token }),
      }).then(
        () => undefined,
        () => undefined,
      ),
    observerMe: (bearer?: string) =>
      request<ObserverProfile>("GET", "/api/v1/observers/me", { auth: "required", ...(bearer ? { bearer } : {}) }),
    watched: () => request<{ servers: WatchedServer[] }>("GET", "/api/v1/observers/me/watched", { auth: "required" }),
    watch: (serverId: string) =>
      request<WatchedServer>("PUT", `/api/v1/observers/me/watched/${encodeURIComponent(serverId)}`, {
        auth: "required",
      }),
    unwatch: (serverId: string) =>
      request<void>("DELETE", `/api/v1/observers/me/watched/${encodeURIComponent(serverId)}`, { auth: "required" }),
  };
}

export type Client = ReturnType<typeof createClient>;

/**
 * ws(s):// URL of a channel socket, resuming after `afterSeq` when given; it asks for batch frames
 * (issue 25: ops ready together in one frame; lib/socket.ts unpacks them).
 */
export function channelSocketUrl(base: string, pageOrigin: string, channelId: string, afterSeq?: number): string {
  const origin = new URL(base || pageOrigin, pageOrigin);
  origin.protocol = origin.protocol === "https:" ? "wss:" : "ws:";
  const url = new URL(`/ws/channels/${encodeURIComponent(channelId)}`, origin);
  url.searchParams.set(FRAMES_PARAM, FRAMES_BATCH);
  if (afterSeq !== undefined && afterSeq > 0) url.searchParams.set("after_seq", String(afterSeq));
  return url.toString();
}
