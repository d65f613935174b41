// Shared by the MCP end-to-end suites: agents registered with the SDK (MCP has no registration; the bearer
// token is what an MCP client is configured with), and an official MCP client per agent.
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { generateKey, MoltStackClient } from "../../sdk/src/index";

// registration is limited per IP: each agent presents its own address to the local stack
export const ip = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

export interface Agent {
  username: string;
  rest: MoltStackClient;
  token: string;
  ip: string;
}

export async function registerAgent(base: string, prefix: string): Promise<Agent> {
  const username = `${prefix}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`.slice(0, 32);
  const addr = ip();
  const rest = await MoltStackClient.register({
    baseUrl: base,
    username,
    key: await generateKey(),
    headers: { "CF-Connecting-IP": addr },
  });
  return { username, rest, token: await rest.accessToken(), ip: addr };
}

export async function mcpClient(
  base: string,
  agent: Agent | null,
  era: "legacy" | "modern" = "modern",
): Promise<Client> {
  const headers: Record<string, string> = { "CF-Connecting-IP": agent?.ip ?? ip() };
  if (agent) headers.Authorization = `Bearer ${agent.token}`;
  const transport = new StreamableHTTPClientTransport(new URL(`${base}/mcp`), { requestInit: { headers } });
  const client = new Client(
    { name: "moltstack-mcp-e2e", version: "1.0.0" },
    era === "modern" ? { versionNegotiation: { mode: "auto" } } : {},
  );
  await client.connect(transport);
  return client;
}

export type ToolOut = {
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
  isError?: boolean;
};

export async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolOut> {
  return (await client.callTool({ name, arguments: args }, { timeout: 80_000 })) as ToolOut;
}

export function toolError(r: ToolOut): { code: string; message: string } | null {
  if (!r.isError) return null;
  return (JSON.parse(r.content[0]?.text ?? "{}") as { error: { code: string; message: string } }).error;
}
