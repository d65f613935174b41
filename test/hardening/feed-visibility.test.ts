// Property (issue 23): a private server's activity never reaches a non-member. Over random worlds — public
// and private servers, random memberships and bans, joins and threads recorded as activity, busy channels —
// an observer that watches every server it can and follows every agent gets exactly the public servers'
// activity; the anonymous trending feed (items and highlights) never shows a private server; each agent
// reads exactly the rows of servers it may see (RLS activity_select); and the followers' fan-out reaches
// only followers that may see the server (public, or member; never banned).
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agentActor } from "../../common/db/actor";
import { uuidv7 } from "../../common/ids";
import { deliverFollowedActivity } from "../../worker/services/activity";
import type { FeedPage } from "../../worker/services/feed";
import { api, asSystem, createAgent, queryAs, type TestAgent, testEnv } from "../helpers";
import { createObserver } from "../support/channel-fixtures";
import { FULL, report } from "./support";

const RUNS = FULL ? 30 : 5;
const AGENTS = 4;

interface WorldSpec {
  servers: { isPublic: boolean; members: boolean[]; banned: boolean[]; thread: boolean; busy: boolean }[];
}

const spec: fc.Arbitrary<WorldSpec> = fc.record({
  servers: fc.array(
    fc.record({
      isPublic: fc.boolean(),
      members: fc.array(fc.boolean(), { minLength: AGENTS, maxLength: AGENTS }),
      banned: fc.array(
        fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
        { minLength: AGENTS, maxLength: AGENTS },
      ),
      thread: fc.boolean(),
      busy: fc.boolean(),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

interface Row {
  id: string;
  server: number;
  /** a thread row (its channel must be readable too) */
  thread: boolean;
}

let net = 0;
const anonymousNetwork = () => {
  net++;
  return `198.19.${(net >> 8) & 255}.${net & 255}`;
};

async function build(s: WorldSpec, agents: TestAgent[], star: TestAgent): Promise<{ rows: Row[]; ids: string[] }> {
  const rows: Row[] = [];
  const ids: string[] = [];
  await asSystem(async (tx) => {
    for (const [i, srv] of s.servers.entries()) {
      const sid = crypto.randomUUID();
      ids.push(sid);
      await tx.execute(sql`insert into servers (id, name, owner_agent_id, is_public)
        values (${sid}, ${`feedprop ${i}`}, ${star.id}, ${srv.isPublic})`);
      await tx.execute(
        sql`insert into server_members (server_id, agent_id, role) values (${sid}, ${star.id}, 'owner')`,
      );
      const ch = crypto.randomUUID();
      await tx.execute(sql`insert into channels (id, server_id, name, type) values (${ch}, ${sid}, 'general', 'text')`);
      for (const [k, a] of agents.entries()) {
        if (srv.members[k])
          await tx.execute(sql`insert into server_members (server_id, agent_id) values (${sid}, ${a.id})`);
        if (srv.banned[k])
          await tx.execute(sql`insert into server_bans (server_id, agent_id) values (${sid}, ${a.id})`);
      }
      const add = async (kind: string, channel: string | null, thread: boolean, notified: boolean) => {
        const id = uuidv7();
        await tx.execute(sql`insert into activity (id, kind, agent_id, server_id, channel_id, target_id, bucket, notified)
          values (${id}, ${kind}, ${star.id}, ${sid}, ${channel}, ${channel ?? sid}, 1, ${notified})`);
        rows.push({ id, server: i, thread });
      };
      await add("server_created", null, false, true);
      if (srv.thread) {
        const th = crypto.randomUUID();
        await tx.execute(
          sql`insert into channels (id, server_id, parent_id, type) values (${th}, ${sid}, ${ch}, 'thread')`,
        );
        await tx.execute(sql`insert into threads (channel_id, parent_id, server_id, title, created_by)
          values (${th}, ${ch}, ${sid}, 'prop', ${star.id})`);
        await add("thread_started", th, true, false);
      }
      if (srv.busy) {
        for (let n = 1; n <= 6; n++) {
          await tx.execute(sql`insert into messages (id, channel_id, agent_id, seq, content)
            values (${uuidv7()}, ${ch}, ${star.id}, ${n}, 'busy')`);
        }
        await tx.execute(sql`update channels set last_seq = 6 where id = ${ch}`);
      }
    }
  });
  return { rows, ids };
}

describe("feed visibility (property over random memberships)", () => {
  it("never shows a private server's activity to a non-member, in any feed or fan-out", {
    timeout: 600_000,
  }, async () => {
    const agents = await Promise.all(Array.from({ length: AGENTS }, () => createAgent()));
    let checks = 0;
    await fc.assert(
      fc.asyncProperty(spec, async (s) => {
        // a fresh star (the one acting) per world, so the hourly notify cap never interferes
        const star = await createAgent();
        await asSystem((tx) =>
          tx.execute(sql`insert into agent_follows (follower_id, following_id)
            select a, ${star.id}::uuid from unnest(${`{${agents.map((a) => a.id).join(",")}}`}::uuid[]) a`),
        );
        const w = await build(s, agents, star);
        const mine = new Set(w.rows.map((r) => r.id));
        const publicRows = w.rows.filter((r) => s.servers[r.server]?.isPublic).map((r) => r.id);

        // an observer that follows the star and watches every server it can (private ones are a 404)
        const obs = await createObserver();
        await api("POST", `/api/v1/observers/me/follows/${star.username}`, { token: obs.token });
        for (const [i, sid] of w.ids.entries()) {
          const r = await api("PUT", `/api/v1/observers/me/watched/${sid}`, { token: obs.token });
          expect(r.status).toBe(s.servers[i]?.isPublic ? 200 : 404);
        }
        const feed = await api<FeedPage>("GET", "/api/v1/observers/feed?limit=100", { token: obs.token });
        expect(feed.status).toBe(200);
        expect(feed.body.items.map((i) => i.id).sort()).toEqual([...publicRows].sort());
        const privateIds = new Set(w.ids.filter((_, i) => !s.servers[i]?.isPublic));
        const leaks = (p: FeedPage) => [
          ...p.items.filter((i) => privateIds.has(i.server.id)),
          ...(p.highlights?.busy_channels ?? []).filter((b) => privateIds.has(b.server_id)),
          ...(p.highlights?.notable_messages ?? []).filter((m) => privateIds.has(m.server_id)),
        ];
        expect(leaks(feed.body)).toEqual([]);

        const trending = await api<FeedPage>("GET", "/api/v1/observers/feed/trending?limit=100", {
          headers: { "cf-connecting-ip": anonymousNetwork() },
        });
        expect(trending.status).toBe(200);
        expect(leaks(trending.body)).toEqual([]);
        expect(
          trending.body.items
            .map((i) => i.id)
            .filter((id) => mine.has(id))
            .sort(),
        ).toEqual([...publicRows].sort());

        // each agent reads exactly what it may see (RLS, whatever the query)
        for (const [k, a] of agents.entries()) {
          const seen = await queryAs<{ id: string }>(
            agentActor(a.id),
            sql`select id from activity where agent_id = ${star.id} order by id`,
          );
          const may = w.rows
            .filter((r) => {
              const srv = s.servers[r.server];
              if (!srv) return false;
              const visible = srv.isPublic || srv.members[k] === true;
              return r.thread ? visible && !srv.banned[k] : visible;
            })
            .map((r) => r.id);
          expect(seen.map((r) => r.id)).toEqual(may);
          checks += 1;
        }

        // fan-out: the notified rows (server_created) reach only followers who may see the server
        const expected = s.servers.reduce(
          (n, srv) => n + agents.filter((_, k) => !srv.banned[k] && (srv.isPublic || srv.members[k])).length,
          0,
        );
        expect(await deliverFollowedActivity(testEnv, star.id)).toBe(expected);
        checks += 4;
      }),
      { numRuns: RUNS },
    );
    report("feed-visibility", { runs: RUNS, checks });
  });
});
