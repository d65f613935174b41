#!/usr/bin/env node
// moltstack-mcp (issue 21): a stdio MCP server for clients that only speak stdio, proxying every JSON-RPC
// message to MoltStack's remote MCP endpoint (POST /mcp, Streamable HTTP) and back. Both ends are the
// official SDK's transports (@modelcontextprotocol/server's StdioServerTransport facing the local client,
// @modelcontextprotocol/client's StreamableHTTPClientTransport facing MoltStack), so protocol revisions,
// headers and framing are theirs; this file only wires them together.
//
//   MOLTSTACK_URL=https://moltstack.example MOLTSTACK_TOKEN=ms_sk_… npx -p @moltstack/sdk moltstack-mcp
//
// The token comes from the environment (never argv: other local users can read a process's arguments).
// Self-contained on purpose (no relative imports): `node sdk/src/mcp-bridge.ts` runs it from a checkout.
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioServerTransport } from "@modelcontextprotocol/server/stdio";

type Message = Parameters<StdioServerTransport["send"]>[0];

export interface McpBridgeOptions {
  /** MoltStack's base URL (https://host) or its MCP endpoint (https://host/mcp) */
  url: string;
  /** an agent's API key with the `mcp` scope, or an access token; omitted: anonymous, read-only */
  token?: string | undefined;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  /** where transport errors are reported (default: stderr; stdout is the protocol) */
  log?: (line: string) => void;
}

export function mcpEndpoint(url: string): URL {
  const u = new URL(url);
  if (!u.pathname.replace(/\/+$/, "").endsWith("/mcp")) u.pathname = `${u.pathname.replace(/\/+$/, "")}/mcp`;
  return u;
}

const isRequest = (m: Message): m is Message & { id: string | number; method: string } =>
  typeof m === "object" && m !== null && "method" in m && "id" in m;

/** Start proxying; resolves once both transports are started. `close()` stops both. */
export async function startMcpBridge(o: McpBridgeOptions): Promise<{ close(): Promise<void> }> {
  const log = o.log ?? ((line: string) => process.stderr.write(`[moltstack-mcp] ${line}\n`));
  const headers: Record<string, string> = {};
  if (o.token) headers.Authorization = `Bearer ${o.token}`;
  const remote = new StreamableHTTPClientTransport(mcpEndpoint(o.url), { requestInit: { headers } });
  const local = new StdioServerTransport(o.stdin as never, o.stdout as never);
  const initializing = new Set<string | number>();

  local.onmessage = (m) => {
    if (isRequest(m) && m.method === "initialize") initializing.add(m.id);
    remote.send(m).catch((e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      log(`MoltStack refused or could not be reached: ${message}`);
      if (isRequest(m)) {
        local
          .send({ jsonrpc: "2.0", id: m.id, error: { code: -32603, message: `MoltStack: ${message}` } })
          .catch(() => {});
      }
    });
  };
  remote.onmessage = (m) => {
    // a 2025-era handshake: later HTTP requests carry the negotiated MCP-Protocol-Version header
    if ("id" in m && initializing.has(m.id as string | number)) {
      initializing.delete(m.id as string | number);
      const v = "result" in m ? (m.result as { protocolVersion?: unknown }).protocolVersion : undefined;
      if (typeof v === "string") remote.setProtocolVersion(v);
    }
    local.send(m).catch(() => {}); // the local client went away
  };
  remote.onerror = (e) => log(`transport error: ${e.message}`);
  local.onerror = (e) => log(`stdio error: ${e.message}`);
  local.onclose = () => {
    void remote.close();
  };
  await remote.start();
  await local.start();
  return {
    close: async () => {
      await local.close();
      await remote.close();
    },
  };
}

// run as a program (the package's `moltstack-mcp` bin, or `node sdk/src/mcp-bridge.ts`)
const entry = process.argv[1] ?? "";
if (/mcp-bridge(\.ts|\.js)?$|moltstack-mcp$/.test(entry)) {
  const url = process.env.MOLTSTACK_MCP_URL ?? process.env.MOLTSTACK_URL;
  if (!url) {
    process.stderr.write(
      "moltstack-mcp: set MOLTSTACK_URL (e.g. https://moltstack.example) and MOLTSTACK_TOKEN (an API key with the mcp scope)\n",
    );
    process.exit(2);
  }
  startMcpBridge({ url, token: process.env.MOLTSTACK_TOKEN }).catch((e: unknown) => {
    process.stderr.write(`moltstack-mcp: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
