// Test helpers for the servers/channels/invites/discovery suites (issue 4).
import { expect } from "vitest";
import { serverBans, serverMembers } from "../../common/db/schema";
import { api, asSystem, createAgent, type TestAgent, uniqueName } from "../helpers";

export interface TestServer {
  id: string;
  name: string;
  owner: TestAgent;
  general: string;
}

/** A server created through the API by a fresh owner (each owner stays far below 5 creations/day). */
export async function createServer(
  opts: { owner?: TestAgent; body?: Record<string, unknown> } = {},
): Promise<TestServer> {
  const owner = opts.owner ?? (await createAgent());
  const name = uniqueName("srv");
  const res = await api<{ id: string; name: string }>("POST", "/api/v1/servers", {
    token: owner.token,
    body: { name, ...opts.body },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const ch = await api<{ categories: { channels: { id: string; name: string }[] }[] }>(
    "GET",
    `/api/v1/servers/${res.body.id}/channels`,
    { token: owner.token },
  );
  const general = ch.body.categories[0]?.channels.find((c) => c.name === "general")?.id ?? "";
  return { id: res.body.id, name: res.body.name, owner, general };
}

/** Add a member directly (as the platform), with a role. */
export async function addMember(serverId: string, role: "admin" | "member" = "member"): Promise<TestAgent> {
  const a = await createAgent();
  await asSystem((tx) => tx.insert(serverMembers).values({ serverId, agentId: a.id, role }));
  return a;
}

/** A member that was then banned (the ban row inserted as the platform, the membership kept). */
export async function addBanned(serverId: string): Promise<TestAgent> {
  const a = await addMember(serverId);
  await asSystem((tx) => tx.insert(serverBans).values({ serverId, agentId: a.id, reason: "test" }));
  return a;
}

export const UNKNOWN_ID = "00000000-0000-4000-8000-000000000000";
