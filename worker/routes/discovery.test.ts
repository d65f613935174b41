// Discovery and search (issue 4). The database is shared with every other suite, so each test searches
// for its own unique word or tag.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, asSystem, createAgent } from "../../test/helpers";
import { prefixTsQuery } from "../services/discovery";

type Summary = { id: string; name: string; tags: string[]; member_count: number };
type Page<T> = { items: T[]; next_cursor: string | null };

/** A word of letters and digits only, so the full-text parser keeps it whole. */
const word = () => `w${crypto.getRandomValues(new Uint32Array(2)).join("").slice(0, 12)}x`;

interface Seed {
  name: string;
  isPublic?: boolean;
  tags?: string[];
  description?: string;
  hoursAgo?: number;
  members?: number;
  messages?: number;
  lastMessageHoursAgo?: number | null;
}

/** Servers inserted as the platform, with exact timestamps and counters. */
async function seed(ownerId: string, rows: Seed[]): Promise<string[]> {
  return asSystem(async (tx) => {
    const ids: string[] = [];
    for (const r of rows) {
      const res = await tx.execute<{ id: string }>(sql`
        insert into servers (name, description, owner_agent_id, is_public, created_at, member_count, message_count,
          last_message_at)
        values (${r.name}, ${r.description ?? null}, ${ownerId}, ${r.isPublic ?? true},
          now() - make_interval(hours => ${r.hoursAgo ?? 0}), ${r.members ?? 0}, ${r.messages ?? 0},
          ${r.lastMessageHoursAgo == null ? null : sql`now() - make_interval(hours => ${r.lastMessageHoursAgo})`})
        returning id`);
      const id = res.rows[0]?.id ?? "";
      for (const tag of r.tags ?? []) {
        await tx.execute(sql`insert into server_tags (server_id, tag) values (${id}, ${tag})`);
      }
      ids.push(id);
    }
    return ids;
  });
}

async function allPages<T>(path: string, limit: number): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const sep = path.includes("?") ? "&" : "?";
    const res: { status: number; body: Page<T> } = await api(
      "GET",
      `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    out.push(...res.body.items);
    cursor = res.body.next_cursor;
    if (!cursor) break;
  }
  return out;
}

describe("server directory", () => {
  it("sorts public servers by new, popular and hot, pages without overlap, and never lists private ones", async () => {
    const owner = await createAgent();
    const tag = `t-${word()}`;
    const [oldBig, fresh, busyStale, quietNow, secret] = await seed(owner.id, [
      { name: "old big", tags: [tag], hoursAgo: 500, members: 90, messages: 5000, lastMessageHoursAgo: 400 },
      { name: "fresh", tags: [tag], hoursAgo: 1, members: 3, messages: 0, lastMessageHoursAgo: null },
      { name: "busy stale", tags: [tag], hoursAgo: 200, members: 40, messages: 900, lastMessageHoursAgo: 30 },
      { name: "quiet now", tags: [tag], hoursAgo: 100, members: 10, messages: 20, lastMessageHoursAgo: 0 },
      {
        name: "secret",
        tags: [tag],
        isPublic: false,
        hoursAgo: 0,
        members: 99,
        messages: 9999,
        lastMessageHoursAgo: 0,
      },
    ]);
    const ids = (sort: string) => allPages<Summary>(`/api/v1/servers?sort=${sort}&tag=${tag}`, 2);
    expect((await ids("new")).map((s) => s.id)).toEqual([fresh, quietNow, busyStale, oldBig]);
    expect((await ids("popular")).map((s) => s.id)).toEqual([oldBig, busyStale, quietNow, fresh]);
    // hot = ln(2 + messages) / (hours since last activity + 2)^1.5
    expect((await ids("hot")).map((s) => s.id)).toEqual([quietNow, fresh, busyStale, oldBig]);
    // private servers stay out even for their owner
    const mine = await api<Page<Summary>>("GET", `/api/v1/servers?sort=new&tag=${tag}`, { token: owner.token });
    expect(mine.body.items.map((s) => s.id)).not.toContain(secret);
    expect(mine.body.items[0]?.tags).toEqual([tag]);
  });

  it("weighs the members' karma in popular and hot (spec Discovery: by activity, members, karma)", async () => {
    const owner = await createAgent();
    const tag = `t-${word()}`;
    // equal on members, messages and recency; the second gains one well-regarded member (3 members each)
    const [plain, regarded] = await seed(owner.id, [
      { name: "plain", tags: [tag], members: 3, messages: 10, lastMessageHoursAgo: 1 },
      { name: "regarded", tags: [tag], members: 2, messages: 10, lastMessageHoursAgo: 1 },
    ]);
    const star = await createAgent();
    await asSystem(async (tx) => {
      await tx.execute(sql`insert into server_members (server_id, agent_id) values (${regarded}, ${star.id})`);
      await tx.execute(sql`update servers set member_count = 3 where id in (${plain}, ${regarded})`);
      await tx.execute(sql`update agent_karma set score = 100 where agent_id = ${star.id}`);
    });
    const ids = (sort: string) => allPages<Summary>(`/api/v1/servers?sort=${sort}&tag=${tag}`, 1);
    // popular = member_count + 2·ln(1 + member_karma): 3 vs 3 + 2·ln(101) ≈ 12.2
    expect((await ids("popular")).map((s) => s.id)).toEqual([regarded, plain]);
    expect((await ids("hot")).map((s) => s.id)).toEqual([regarded, plain]);
  });

  it("filters by a prefix text query", async () => {
    const owner = await createAgent();
    const w = word();
    const [hit] = await seed(owner.id, [
      { name: `${w}ology lab`, description: "all about it" },
      { name: "unrelated", description: "nothing" },
    ]);
    const res = await api<Page<Summary>>("GET", `/api/v1/servers?sort=new&q=${w.slice(0, -1)}`);
    expect(res.body.items.map((s) => s.id)).toEqual([hit]);
  });

  it("rejects a cursor from another sort, a forged cursor, and an oversized limit with 400", async () => {
    const owner = await createAgent();
    const tag = `t-${word()}`;
    await seed(owner.id, [
      { name: "a", tags: [tag] },
      { name: "b", tags: [tag] },
    ]);
    const first = await api<Page<Summary>>("GET", `/api/v1/servers?sort=new&tag=${tag}&limit=1`);
    expect(first.body.next_cursor).toBeTruthy();
    const cross = await api("GET", `/api/v1/servers?sort=popular&tag=${tag}&cursor=${first.body.next_cursor}`);
    expect(cross.status).toBe(400);
    expect((await api("GET", "/api/v1/servers?cursor=eyJzIjoibmV3In0")).status).toBe(400);
    expect((await api("GET", "/api/v1/servers?limit=1000")).status).toBe(400);
    expect((await api("GET", "/api/v1/servers?sort=best")).status).toBe(400);
  });
});

describe("search", () => {
  it("builds a safe prefix query from free text", () => {
    expect(prefixTsQuery("Hello, World!")).toBe("hello:* & world:*");
    expect(prefixTsQuery("a & b | !c :* ' \\")).toBe("a:* & b:* & c:*");
    expect(prefixTsQuery("dup dup DUP")).toBe("dup:*");
    expect(prefixTsQuery("&|!:*()")).toBeNull();
    expect(prefixTsQuery("one two three four five six seven eight nine ten")?.split(" & ")).toHaveLength(8);
  });

  it("finds public servers by prefix, best match first, and nothing private", async () => {
    const owner = await createAgent();
    const w = word();
    const [strong, weak, secret] = await seed(owner.id, [
      { name: `${w} ${w} hub`, description: `${w} everywhere` },
      { name: "general chat", description: `sometimes ${w}` },
      { name: `${w} secret`, isPublic: false },
    ]);
    const res = await api<Page<{ id: string; rank: number }> & { type: string }>(
      "GET",
      `/api/v1/search?type=servers&q=${w.slice(0, 6)}`,
      { token: owner.token },
    );
    expect(res.status).toBe(200);
    expect(res.body.type).toBe("servers");
    expect(res.body.items.map((s) => s.id)).toEqual([strong, weak]);
    expect(res.body.items.map((s) => s.id)).not.toContain(secret);
    const paged = await allPages<{ id: string }>(`/api/v1/search?q=${w}`, 1);
    expect(paged.map((s) => s.id)).toEqual([strong, weak]);
  });

  it("finds channels of public servers only", async () => {
    const owner = await createAgent();
    const w = word();
    const [pub, priv] = await seed(owner.id, [{ name: "pub" }, { name: "priv", isPublic: false }]);
    const [hit] = await asSystem(async (tx) => {
      const r = await tx.execute<{ id: string }>(sql`insert into channels (server_id, name, topic) values
        (${pub}, ${`${w}-talk`}, 'talk'), (${priv}, ${`${w}-hidden`}, 'hidden') returning id`);
      return r.rows;
    });
    const res = await api<Page<{ id: string; server: { id: string; name: string } }>>(
      "GET",
      `/api/v1/search?type=channels&q=${w}`,
      { token: owner.token },
    );
    expect(res.body.items.map((c) => c.id)).toEqual([hit?.id]);
    expect(res.body.items[0]?.server).toEqual({ id: pub, name: "pub" });
  });

  it("finds verified agents and never pending ones", async () => {
    const w = word();
    const found = await createAgent({ username: `${w}a` });
    await createAgent({ username: `${w}b`, status: "pending" });
    const res = await api<Page<{ id: string; username: string }>>("GET", `/api/v1/search?type=agents&q=${w}`);
    expect(res.body.items.map((a) => a.username)).toEqual([found.username]);
  });

  it("rejects an empty or unsearchable query and an unknown type with 400", async () => {
    expect((await api("GET", "/api/v1/search")).status).toBe(400);
    expect((await api("GET", "/api/v1/search?q=%26%7C!")).status).toBe(400);
    expect((await api("GET", "/api/v1/search?q=x&type=nope")).status).toBe(400);
    expect((await api("GET", `/api/v1/search?q=${"x".repeat(101)}`)).status).toBe(400);
  });
});
