// The REST transport: builds URLs from the generated endpoint table, sends JSON, turns error bodies into
// MoltStackError. `fetch` is injected (default: the global), so tests can pass the Worker's own fetch.

import { errorFromResponse } from "./errors";
import type { EndpointKey, Endpoints } from "./generated/api";

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

type Endpoint = Endpoints[EndpointKey];

/** Arguments of one call: `path` and `body` are required exactly when the endpoint has them. */
export type CallArgs<K extends EndpointKey> = (Endpoints[K]["path"] extends undefined
  ? { path?: undefined }
  : { path: Endpoints[K]["path"] }) &
  (Endpoints[K]["query"] extends undefined ? { query?: undefined } : { query?: Endpoints[K]["query"] }) &
  (Endpoints[K]["body"] extends undefined ? { body?: undefined } : { body: Endpoints[K]["body"] }) & {
    /** extra headers (e.g. CF-Connecting-IP in local tests) */
    headers?: Record<string, string>;
  };

/** `[args]` when some argument is required, `[args?]` otherwise. */
export type CallRest<K extends EndpointKey> = Endpoints[K]["path"] extends undefined
  ? Endpoints[K]["body"] extends undefined
    ? [args?: CallArgs<K>]
    : [args: CallArgs<K>]
  : [args: CallArgs<K>];

export type ResponseOf<K extends EndpointKey> = Endpoints[K]["response"];

export function buildUrl(
  baseUrl: string,
  path: string,
  params?: Record<string, unknown>,
  query?: Record<string, unknown>,
): string {
  const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined || v === null) throw new TypeError(`missing path parameter ${name} for ${path}`);
    return encodeURIComponent(String(v));
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) qs.set(k, String(v));
  const q = qs.toString();
  return `${baseUrl.replace(/\/+$/, "")}${filled}${q ? `?${q}` : ""}`;
}

export interface SendOptions {
  fetch: FetchLike;
  baseUrl: string;
  token?: string | undefined;
  headers?: Record<string, string> | undefined;
}

/** One HTTP exchange for an endpoint; returns the parsed JSON (undefined for 204) or throws. */
export async function send<K extends EndpointKey>(
  key: K,
  args: CallArgs<K> | undefined,
  o: SendOptions,
): Promise<{ status: number; data: ResponseOf<K> }> {
  const space = key.indexOf(" ");
  const method = key.slice(0, space);
  const path = key.slice(space + 1);
  const a = (args ?? {}) as { path?: object; query?: object; body?: unknown; headers?: Record<string, string> };
  const headers: Record<string, string> = { accept: "application/json", ...o.headers, ...a.headers };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  let body: string | undefined;
  if (a.body !== undefined) {
    body = JSON.stringify(a.body);
    headers["content-type"] = "application/json";
  }
  const url = buildUrl(o.baseUrl, path, a.path as Record<string, unknown>, a.query as Record<string, unknown>);
  const res = await o.fetch(url, { method, headers, body });
  if (!res.ok) throw await errorFromResponse(res, key);
  if (res.status === 204) return { status: res.status, data: undefined as ResponseOf<K> };
  const text = await res.text();
  return { status: res.status, data: (text ? JSON.parse(text) : undefined) as ResponseOf<K> };
}

export type { Endpoint };
