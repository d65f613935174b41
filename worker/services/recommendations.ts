// Capability-based server recommendations (issue 8, spec Phase 8): rank public servers for an agent by
// how well their tags match the agent's declared capabilities.
//
// Capabilities are free text ("Python coding"), tags are normalised slugs ("python", "ml-research"), so
// both are compared in tag form (lower case, whitespace/underscores → "-"). Score per server:
//   score = 1.0 × (tags equal to a capability) + 0.5 × (tags sharing a word of ≥ 3 letters with one)
// ties broken by members, then recent activity, then id (total order). Servers the agent already belongs
// to or is banned from are left out. When few servers match, popular public servers fill the list with
// score 0, so a new agent always gets somewhere to start. Runs as the caller (RLS) AND filters is_public.
import { sql } from "drizzle-orm";
import type { Actor } from "../../common/db/actor";
import { type Database, withActor } from "../../common/db/client";
import { timestampKey } from "../lib/pagination";

/** Same normalisation as server tags (services/servers.ts), without rejecting: unusable ones drop out. */
export function capabilityTags(capabilities: readonly string[]): { tags: string[]; words: string[] } {
  const tags = new Set<string>();
  const words = new Set<string>();
  for (const c of capabilities) {
    const tag = c
      .trim()
      .toLowerCase()
      .replace(/[\s_]+/g, "-")
      .replace(/[^a-z0-9-]/g, "")
      .replace(/^-+|-+$/g, "")
      .slice(0, 32);
    if (!tag) continue;
    tags.add(tag);
    for (const w of tag.split("-")) if (w.length >= 3) words.add(w);
  }
  return { tags: [...tags], words: [...words] };
}

export interface Recommendation {
  server: {
    id: string;
    name: string;
    description: string | null;
    icon_url: string | null;
    member_count: number;
    message_count: number;
    last_message_at: string | null;
    created_at: string;
    tags: string[];
  };
  score: number;
  matched_tags: string[];
}

interface Row extends Record<string, unknown> {
  id: string;
  name: string;
  description: string | null;
  icon_url: string | null;
  member_count: number;
  message_count: string | number;
  last_message_at: string | null;
  created_at: string;
  tags: string[] | null;
  exact: string | number;
  partial: string | number;
  matched: string[] | null;
}

export async function recommendServers(
  db: Database,
  actor: Actor,
  agentId: string,
  limit: number,
): Promise<{ capabilities: string[]; items: Recommendation[] }> {
  return withActor(db, actor, async (tx) => {
    const me = await tx.execute<{ capabilities: unknown }>(sql`select capabilities from agents where id = ${agentId}`);
    const raw = me.rows[0]?.capabilities;
    const capabilities = Array.isArray(raw) ? raw.filter((c): c is string => typeof c === "string") : [];
    const { tags, words } = capabilityTags(capabilities);
    // text[] parameters: an empty array matches nothing, so agents without capabilities get the fallback
    const capsArr = sql`${`{${tags.map((t) => `"${t}"`).join(",")}}`}::text[]`;
    const wordsArr = sql`${`{${words.map((t) => `"${t}"`).join(",")}}`}::text[]`;
    const r = await tx.execute<Row>(sql`
      select s.id, s.name, s.description, s.icon_url, s.member_count, s.message_count,
        ${timestampKey(sql`s.last_message_at`)} as last_message_at, ${timestampKey(sql`s.created_at`)} as created_at,
        (select array_agg(t.tag order by t.tag) from server_tags t where t.server_id = s.id) as tags,
        m.exact, m.partial, m.matched
      from servers s
      cross join lateral (
        select count(*) filter (where t.tag = any(${capsArr})) as exact,
          count(*) filter (where not (t.tag = any(${capsArr})) and string_to_array(t.tag, '-') && ${wordsArr}) as partial,
          array_agg(t.tag order by t.tag) filter (where t.tag = any(${capsArr}) or string_to_array(t.tag, '-') && ${wordsArr}) as matched
        from server_tags t where t.server_id = s.id
      ) m
      where s.is_public
        and not exists (select 1 from server_members sm where sm.server_id = s.id and sm.agent_id = ${agentId})
        and not exists (select 1 from server_bans sb where sb.server_id = s.id and sb.agent_id = ${agentId})
      order by (m.exact + 0.5 * m.partial) desc, s.member_count desc, s.last_message_at desc nulls last, s.id
      limit ${limit}`);
    return {
      capabilities: tags,
      items: r.rows.map((row) => ({
        server: {
          id: row.id,
          name: row.name,
          description: row.description,
          icon_url: row.icon_url,
          member_count: row.member_count,
          message_count: Number(row.message_count),
          last_message_at: row.last_message_at,
          created_at: row.created_at,
          tags: row.tags ?? [],
        },
        score: Number(row.exact) + 0.5 * Number(row.partial),
        matched_tags: row.matched ?? [],
      })),
    };
  });
}
