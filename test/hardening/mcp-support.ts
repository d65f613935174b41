// Raw JSON-RPC against /mcp for the hardening suites (issue 21): one stateless 2025-era request per call
// (no handshake needed by a stateless server), answered as the JSON body or a buffered event stream.
import { exports } from "cloudflare:workers";
import { BASE } from "../helpers";

export interface McpAnswer {
  status: number;
  /** the whole response body as text (for marker and stack-trace checks) */
  text: string;
  /** the JSON-RPC message, when there was one */
  message: { result?: Record<string, unknown>; error?: { code: number; message: string } } | null;
}

let ipCounter = 0;

export async function mcpRaw(body: string, token?: string, headers: Record<string, string> = {}): Promise<McpAnswer> {
  ipCounter += 1;
  const res = await exports.default.fetch(`${BASE}/mcp`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
      // each anonymous call from its own network: the per-IP anonymous budget is not what is tested here
      "cf-connecting-ip": `198.18.${(ipCounter >> 8) & 255}.${ipCounter & 255}`,
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body,
  });
  const text = await res.text();
  const data = text.startsWith("{") ? text : (text.match(/^data: (.*)$/m)?.[1] ?? "");
  let message: McpAnswer["message"] = null;
  try {
    message = data ? JSON.parse(data) : null;
  } catch {
    message = null;
  }
  return { status: res.status, text, message };
}

let rpcId = 0;
export const mcpCall = (name: string, args: unknown, token?: string) =>
  mcpRaw(
    JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method: "tools/call", params: { name, arguments: args } }),
    token,
  );

export const mcpRead = (uri: string, token?: string) =>
  mcpRaw(JSON.stringify({ jsonrpc: "2.0", id: ++rpcId, method: "resources/read", params: { uri } }), token);

/** A refusal: a JSON-RPC error, a tool result with isError, or an HTTP 4xx. */
export function refused(a: McpAnswer): boolean {
  if (a.status >= 400 && a.status < 500) return true;
  if (a.message?.error) return true;
  return a.message?.result?.isError === true;
}
