// The permission matrix (issue 4): owner / admin / member / non-member / banned × every server and channel
// mutation, each cell on a fresh server so destructive cells cannot disturb the others.
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api, asSystem, createAgent, type TestAgent, uniqueName } from "../../test/helpers";

type Who = "owner" | "admin" | "member" | "non_member" | "banned";
const WHO: Who[] = ["owner", "admin", "member", "non_member", "banned"];

interface Fixture {
  serverId: string;
  channelId: string;
}

let agents: Record<Who, TestAgent>;

beforeAll(async () => {
  const list = await Promise.all(WHO.map(() => createAgent()));
  agents = Object.fromEntries(WHO.map((w, i) => [w, list[i]])) as Record<Who, TestAgent>;
});

/** `n` fresh servers where each agent has its role (the banned one keeps a member row, as a worst case). */
async function fixtures(n: number, isPublic: boolean): Promise<Fixture[]> {
  const a = agents;
  return asSystem(async (tx) => {
    const r = await tx.execute<{ server_id: string; channel_id: string }>(sql`
      with s as (
        insert into servers (name, owner_agent_id, is_public)
        select ${uniqueName("perm")} || '-' || g, ${a.owner.id}::uuid, ${isPublic} from generate_series(1, ${n}) g
        returning id),
      m as (
        insert into server_members (server_id, agent_id, role)
        select s.id, v.agent_id, v.role from s cross join (values
          (${a.owner.id}::uuid, 'owner'), (${a.admin.id}::uuid, 'admin'),
          (${a.member.id}::uuid, 'member'), (${a.banned.id}::uuid, 'member')) v(agent_id, role)),
      b as (
        insert into server_bans (server_id, agent_id, reason) select s.id, ${a.banned.id}::uuid, 'matrix' from s),
      c as (
        insert into channels (server_id, name, type) select s.id, 'general', 'text' from s
        returning id, server_id)
      select server_id, id as channel_id from c`);
    return r.rows.map((row) => ({ serverId: row.server_id, channelId: row.channel_id }));
  });
}

type Call = [method: string, path: string, body?: unknown];
const MUTATIONS: Record<string, (f: Fixture) => Call> = {
  "update server": (f) => ["PATCH", `/api/v1/servers/${f.serverId}`, { description: "changed" }],
  "delete server": (f) => ["DELETE", `/api/v1/servers/${f.serverId}`],
  "set server instructions": (f) => ["PUT", `/api/v1/servers/${f.serverId}/instructions`, { instructions: "hi" }],
  "create channel": (f) => ["POST", `/api/v1/servers/${f.serverId}/channels`, { name: "new-one" }],
  "update channel": (f) => ["PATCH", `/api/v1/channels/${f.channelId}`, { topic: "t" }],
  "delete channel": (f) => ["DELETE", `/api/v1/channels/${f.channelId}`],
  "set channel instructions": (f) => ["PUT", `/api/v1/channels/${f.channelId}/instructions`, { instructions: "x" }],
  "create invite": (f) => ["POST", `/api/v1/servers/${f.serverId}/invites`, { max_uses: 1 }],
  "change role": (f) => ["PUT", `/api/v1/servers/${f.serverId}/members/${agents.member.id}/role`, { role: "admin" }],
  transfer: (f) => ["POST", `/api/v1/servers/${f.serverId}/transfer`, { username: agents.admin.username }],
};

const MODS: Who[] = ["owner", "admin"];
const ALLOWED: Record<string, Who[]> = {
  "update server": MODS,
  "delete server": ["owner"],
  "set server instructions": MODS,
  "create channel": MODS,
  "update channel": MODS,
  "delete channel": MODS,
  "set channel instructions": MODS,
  "create invite": MODS,
  "change role": ["owner"],
  transfer: ["owner"],
};

async function runMatrix(isPublic: boolean, refusal: (who: Who) => number) {
  const got: Record<string, Record<Who, number>> = {};
  const want: Record<string, Record<Who, number>> = {};
  const pool = await fixtures(Object.keys(MUTATIONS).length * WHO.length, isPublic);
  for (const [name, make] of Object.entries(MUTATIONS)) {
    const row = await Promise.all(
      WHO.map(async (who) => {
        const f = pool.pop();
        if (!f) throw new Error("fixture pool exhausted");
        const [method, path, body] = make(f);
        return (await api(method, path, { token: agents[who].token, body })).status;
      }),
    );
    got[name] = Object.fromEntries(WHO.map((w, i) => [w, row[i]])) as Record<Who, number>;
    want[name] = Object.fromEntries(
      WHO.map((w) => {
        if (!ALLOWED[name]?.includes(w)) return [w, refusal(w)];
        const [method] = make({ serverId: "", channelId: "" });
        return [w, method === "DELETE" ? 204 : method === "POST" ? 201 : 200];
      }),
    ) as Record<Who, number>;
  }
  // transfer answers 200 (the server under its new owner), not 201
  for (const w of WHO) if (want.transfer?.[w] === 201) want.transfer[w] = 200;
  expect(got).toEqual(want);
}

describe("permission matrix", () => {
  it("on a public server: owner and admins moderate, the owner alone deletes, appoints and transfers; everyone else gets 403", async () => {
    await runMatrix(true, () => 403);
  });

  it("on a private server: a non-member gets 404 for every mutation (the server does not exist for it)", async () => {
    await runMatrix(false, (who) => (who === "non_member" ? 404 : 403));
  });
});
