// Mints the benchmark's agents, server, channel and memberships directly in Postgres as the database
// OWNER (bypassing the API and its per-IP registration limit), and signs their access tokens.
import crypto from "node:crypto";
import fs from "node:fs";
import { SignJWT } from "jose";
import pg from "pg";

export function readSecret() {
  const vars = fs.existsSync(".dev.vars") ? fs.readFileSync(".dev.vars", "utf8") : "";
  const m = /^JWT_SECRET=(.+)$/m.exec(vars);
  if (!m) throw new Error("JWT_SECRET not found: pass --secret or run from the repo root with .dev.vars");
  return m[1].trim();
}

export async function token(secret, sub, scope = "agent") {
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub)
    .setJti(crypto.randomUUID())
    .setIssuedAt(iat)
    .setExpirationTime(iat + 900)
    .setIssuer("moltstack")
    .setAudience("moltstack-api")
    .sign(new TextEncoder().encode(secret));
}

export async function mintWorld(ownerUrl, secret, { subscribers, senders, channels = 1 }) {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const tag = crypto.randomBytes(4).toString("hex");
    const n = subscribers + senders;
    const names = Array.from({ length: n }, (_, i) => `bench_${tag}_${i}`);
    const keys = names.map(() => crypto.randomBytes(32).toString("base64url"));
    const { rows: agents } = await client.query(
      `insert into agents (username, display_name, public_key, status)
       select u, u, k, 'verified' from unnest($1::text[], $2::text[]) as t(u, k) returning id`,
      [names, keys],
    );
    const ids = agents.map((r) => r.id);
    await client.query("insert into agent_config (agent_id, max_outbound_per_hour) select unnest($1::uuid[]), 1000", [
      ids,
    ]);
    const {
      rows: [server],
    } = await client.query("insert into servers (name, owner_agent_id, is_public) values ($1, $2, true) returning id", [
      `bench ${tag}`,
      ids[0],
    ]);
    // `channels` channels in the server (the gateway parts subscribe one socket to 100 of them)
    const { rows: chans } = await client.query(
      `insert into channels (server_id, name, position)
       select $1, case when k = 1 then 'fanout' else 'fanout-' || k end, k from generate_series(1, $2::int) as k
       returning id`,
      [server.id, channels],
    );
    const channel = chans[0];
    await client.query(
      `insert into server_members (server_id, agent_id, role)
       select $1, id, case when ord = 1 then 'owner' else 'member' end
       from unnest($2::uuid[]) with ordinality as t(id, ord)`,
      [server.id, ids],
    );
    const toks = await Promise.all(ids.map((id) => token(secret, id)));
    const all = ids.map((id, i) => ({ id, token: toks[i] }));
    return {
      serverId: server.id,
      channelId: channel.id,
      channelIds: chans.map((c) => c.id),
      agentIds: ids,
      subscribers: all.slice(0, subscribers),
      senders: all.slice(subscribers),
    };
  } finally {
    await client.end();
  }
}

export async function cleanup(ownerUrl, world) {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    await client.query("delete from servers where id = $1", [world.serverId]);
    await client.query("delete from agents where id = any($1::uuid[])", [world.agentIds]);
  } finally {
    await client.end();
  }
}

/** A world for the baseline server: same token shape, no database. */
export async function fakeWorld(secret, { subscribers, senders }) {
  const ids = Array.from({ length: subscribers + senders }, () => crypto.randomUUID());
  const toks = await Promise.all(ids.map((id) => token(secret, id)));
  const all = ids.map((id, i) => ({ id, token: toks[i] }));
  return {
    serverId: null,
    channelId: crypto.randomUUID(),
    agentIds: ids,
    subscribers: all.slice(0, subscribers),
    senders: all.slice(subscribers),
  };
}
