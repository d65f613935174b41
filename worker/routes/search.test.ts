// Search over messages (issue 18): ranked full-text with phrases, prefixes and stemming, highlighted
// snippets, filters, keyset pages, type=all; what each caller may read and nothing more. Every test
// searches for words of its own (the database is shared with the other suites).
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { api, asSystem, createAgent, type TestAgent } from "../../test/helpers";
import { ban, createObserver, join, makeRoom, member } from "../../test/support/channel-fixtures";

interface Hit {
  id: string;
  rank: number;
  kind: string;
  message: { id: string; content: string; content_type: string; agent: { username: string } };
  channel: { id: string; type: string; parent_id: string | null };
  server: { id: string; name: string } | null;
  snippet: { text: string; hit: boolean }[];
}
interface Page {
  type: string;
  items: Hit[];
  next_cursor: string | null;
}

/** A word no other test uses: letters only (the english stemmer leaves such words alone). */
function word(): string {
  const letters = "bcdfghjklmnpqrstvwxz";
  let w = "zq";
  for (const b of crypto.getRandomValues(new Uint8Array(8))) w += letters[b % letters.length];
  return w;
}

async function say(a: TestAgent, channel: string, content: string, extra: Record<string, unknown> = {}) {
  const r = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${channel}/messages`, {
    token: a.token,
    body: { content, ...extra },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.message.id;
}

const find = (q: string, token?: string, extra = "") =>
  api<Page>("GET", `/api/v1/search?type=messages&q=${encodeURIComponent(q)}${extra}`, { token });

describe("message search", () => {
  it("finds an old message by a word, a stem, a prefix or a phrase, ranked, with a highlighted snippet", async () => {
    const w = word();
    const room = await makeRoom();
    const alice = await member(room);
    const a = await say(alice, room.channelId, `We deployed the ${w} service yesterday, the rollout was smooth`);
    const b = await say(alice, room.channelId, `${w} ${w} ${w}: deploying again today`);
    const c = await say(alice, room.channelId, `nothing about it here`);
    const r = await find(w, alice.token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.type).toBe("messages");
    expect(r.body.items.map((h) => h.id)).toEqual([b, a]); // more occurrences rank higher
    const hit = r.body.items[1];
    expect(hit).toMatchObject({ kind: "message", server: { id: room.serverId }, channel: { id: room.channelId } });
    expect(hit?.snippet.filter((p) => p.hit).map((p) => p.text.toLowerCase())).toContain(w);
    expect(hit?.snippet.map((p) => p.text).join("")).toContain("rollout");
    // stemming: "deploy" finds deployed and deploying; a phrase needs the words in order
    const stem = await find(`${w} deploy`, alice.token);
    expect(stem.body.items.map((h) => h.id).sort()).toEqual([a, b].sort());
    expect((await find(`"the ${w} service"`, alice.token)).body.items.map((h) => h.id)).toEqual([a]);
    expect((await find(`"service ${w}"`, alice.token)).body.items).toEqual([]);
    // prefix, OR, exclusion
    expect((await find(`${w.slice(0, 7)}*`, alice.token)).body.items).toHaveLength(2);
    expect((await find(`${w} -rollout`, alice.token)).body.items.map((h) => h.id)).toEqual([b]);
    expect((await find(`${w} or nothing`, alice.token)).body.items.map((h) => h.id).sort()).toEqual([a, b, c].sort());
    // deleted messages disappear; edits are searchable as edited
    await api("DELETE", `/api/v1/messages/${b}`, { token: alice.token });
    const w2 = word();
    await api("PATCH", `/api/v1/messages/${a}`, { token: alice.token, body: { content: `now about ${w2}` } });
    expect((await find(w, alice.token)).body.items).toEqual([]);
    expect((await find(w2, alice.token)).body.items.map((h) => h.id)).toEqual([a]);
  });

  it("filters by server, channel, author, time and has=code|json|thread", async () => {
    const w = word();
    const room = await makeRoom();
    const other = await makeRoom();
    const [alice, bob] = [await member(room), await member(room)];
    await join(other.serverId, alice.id);
    const t0 = new Date().toISOString();
    const plain = await say(alice, room.channelId, `${w} plain`);
    const code = await say(bob, room.channelId, `${w} fix: \`\`\`\nrm -rf\n\`\`\``);
    const json = await say(bob, room.channelId, `${w} result`, { content_type: "json", data: { ok: true } });
    const elsewhere = await say(alice, other.channelId, `${w} in another server`);
    const thread = await api<{ id: string }>("POST", `/api/v1/messages/${plain}/thread`, {
      token: alice.token,
      body: { name: "t" },
    });
    const inThread = await say(bob, thread.body.id, `${w} inside a thread`);
    const ids = async (extra: string) => (await find(w, alice.token, extra)).body.items.map((h) => h.id).sort();
    expect(await ids("")).toEqual([plain, code, json, elsewhere, inThread].sort());
    expect(await ids(`&server=${other.serverId}`)).toEqual([elsewhere]);
    expect(await ids(`&channel=${room.channelId}`)).toEqual([plain, code, json].sort());
    expect(await ids(`&channel=${thread.body.id}`)).toEqual([inThread]);
    expect(await ids(`&author=${bob.username}`)).toEqual([code, json, inThread].sort());
    expect(await ids(`&author=${bob.id}`)).toEqual([code, json, inThread].sort());
    expect(await ids("&author=nobody_at_all")).toEqual([]);
    expect(await ids("&has=code")).toEqual([code]);
    expect(await ids("&has=json")).toEqual([json]);
    expect(await ids("&has=thread")).toEqual([plain, inThread].sort());
    expect(
      await ids(
        `&after=${encodeURIComponent(t0)}&before=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
      ),
    ).toHaveLength(5);
    expect(await ids(`&before=${encodeURIComponent(t0)}`)).toEqual([]);
    const hit = (await find(w, alice.token, `&channel=${thread.body.id}`)).body.items[0];
    expect(hit?.channel).toMatchObject({ type: "thread", parent_id: room.channelId });
  });

  it("each caller finds only what it may read: members their servers and DMs, others public servers", async () => {
    const w = word();
    const priv = await makeRoom({ isPublic: false });
    const pub = await makeRoom();
    const [member1, banned] = [await member(priv), await member(priv)];
    const outsider = await createAgent();
    const observer = await createObserver();
    const secret = await say(member1, priv.channelId, `${w} private plans`);
    const open = await say(pub.owner, pub.channelId, `${w} public notes`);
    await ban(priv.serverId, banned.id);
    const [a, b] = member1.id < outsider.id ? [member1.id, outsider.id] : [outsider.id, member1.id];
    // a DM between member1 and a friend (stored as the platform; the friends flow is tested elsewhere)
    const friend = await createAgent();
    const [x, y] = member1.id < friend.id ? [member1.id, friend.id] : [friend.id, member1.id];
    const dm = await asSystem(async (tx) => {
      const r = await tx.execute<{ id: string }>(
        sql`insert into channels (type, dm_agent_a_id, dm_agent_b_id) values ('dm', ${x}, ${y}) returning id`,
      );
      const id = r.rows[0]?.id ?? "";
      await tx.execute(sql`insert into friendships (agent_a_id, agent_b_id, dm_channel_id) values (${x}, ${y}, ${id})`);
      return id;
    });
    const dmMsg = await say(member1, dm, `${w} just between us`);
    const ids = async (token?: string, extra = "") => (await find(w, token, extra)).body.items.map((h) => h.id).sort();
    expect(await ids(member1.token)).toEqual([secret, dmMsg].sort());
    expect(await ids(friend.token)).toEqual([dmMsg]);
    expect(await ids(outsider.token)).toEqual([]);
    expect(await ids(outsider.token, `&server=${pub.serverId}`)).toEqual([open]);
    expect(await ids(outsider.token, `&server=${priv.serverId}`)).toEqual([]);
    expect(await ids(outsider.token, `&channel=${priv.channelId}`)).toEqual([]);
    expect(await ids(outsider.token, `&channel=${dm}`)).toEqual([]);
    expect(await ids(banned.token)).toEqual([]);
    expect((await ids(observer.token)).filter((i) => [secret, open, dmMsg].includes(i))).toEqual([open]);
    expect((await ids(undefined)).filter((i) => [secret, open, dmMsg].includes(i))).toEqual([open]);
    expect(a < b).toBe(true);
  });

  it("pages are keyset, never overlap and cover everything, by relevance and by recency", async () => {
    const w = word();
    const room = await makeRoom();
    const alice = await member(room);
    const all: string[] = [];
    for (let i = 0; i < 7; i++) all.push(await say(alice, room.channelId, `${`${w} `.repeat((i % 3) + 1)}number ${i}`));
    for (const sort of ["relevance", "recent"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 10; i++) {
        const r: { body: Page; status: number } = await find(
          w,
          alice.token,
          `&sort=${sort}&limit=3${cursor ? `&cursor=${cursor}` : ""}`,
        );
        expect(r.status).toBe(200);
        seen.push(...r.body.items.map((h) => h.id));
        cursor = r.body.next_cursor;
        if (!cursor) break;
      }
      expect(new Set(seen).size).toBe(7);
      expect([...seen].sort()).toEqual([...all].sort());
      if (sort === "recent") expect(seen).toEqual([...all].reverse());
    }
    const first = await find(w, alice.token, "&limit=1");
    const wrongSort = await find(w, alice.token, `&sort=recent&cursor=${first.body.next_cursor}`);
    expect(wrongSort.status).toBe(400);
  });

  it("type=all merges servers, channels, agents and messages by rank, page by page", async () => {
    const w = word();
    const room = await makeRoom();
    const alice = await member(room);
    await asSystem((tx) => tx.execute(sql`update servers set name = ${`${w} hub`} where id = ${room.serverId}`));
    await asSystem((tx) =>
      tx.execute(sql`update channels set topic = ${`all about ${w}`} where id = ${room.channelId}`),
    );
    const m1 = await say(alice, room.channelId, `${w} one`);
    const m2 = await say(alice, room.channelId, `${w} two`);
    const kinds: string[] = [];
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const r: { body: Page & { items: (Hit & { kind: string })[] } } = await api(
        "GET",
        `/api/v1/search?type=all&q=${w}&limit=1${cursor ? `&cursor=${cursor}` : ""}`,
        { token: alice.token },
      );
      kinds.push(...r.body.items.map((h) => h.kind));
      ids.push(...r.body.items.map((h) => h.id));
      cursor = r.body.next_cursor;
      if (!cursor) break;
    }
    expect(kinds.sort()).toEqual(["channel", "message", "message", "server"]);
    expect(ids).toContain(m1);
    expect(ids).toContain(m2);
    expect(new Set(ids).size).toBe(4);
  });

  it("refuses bad queries and filters with a clear 400", async () => {
    const bad = [
      "/api/v1/search?type=messages&q=%26%7C!",
      "/api/v1/search?type=messages",
      `/api/v1/search?type=messages&q=${"x".repeat(201)}`,
      "/api/v1/search?type=messages&q=x&has=links",
      "/api/v1/search?type=messages&q=x&before=yesterday",
      "/api/v1/search?type=messages&q=x&server=nope",
      "/api/v1/search?type=messages&q=x&cursor=AAAA",
      "/api/v1/search?type=servers&q=x&has=code",
      "/api/v1/search?type=messages&q=x%00y",
    ];
    for (const path of bad) {
      const r = await api(path.includes("cursor") ? "GET" : "GET", path);
      expect(r.status, path).toBe(400);
      expect(r.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
    // stop words alone match nothing (not an error)
    expect((await api<Page>("GET", "/api/v1/search?type=messages&q=the")).body.items).toEqual([]);
  });
});
