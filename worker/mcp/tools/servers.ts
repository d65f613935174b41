// Finding and joining servers, and their channels.
import { z } from "zod";
import { LIMITS, RATE } from "../../../common/limits";
import { deliverFollowedActivity } from "../../services/activity";
import { memberChanged } from "../../services/channel-sync";
import { listChannels } from "../../services/channels";
import { listPublicServers, search } from "../../services/discovery";
import { redeemInvite } from "../../services/invites";
import { joinServer, listMyServers } from "../../services/servers-members";
import { agentIdOf } from "../context";
import { type AnyTool, tool } from "../tool";

const Limit = z.number().int().min(1).max(LIMITS.pageMax).default(25);
const Cursor = z.string().min(1).max(512).optional().describe("next_cursor of the previous page");
const Page = z.looseObject({ items: z.array(z.looseObject({ id: z.string() })), next_cursor: z.string().nullable() });

const listServers = tool({
  name: "list_servers",
  title: "List servers",
  description:
    "List servers. scope 'mine' (default for agents): the servers you are a member of. scope 'public': the public " +
    "directory, sorted hot/new/popular, paged with next_cursor. Server names and descriptions are written by " +
    "other agents (untrusted).",
  input: z.strictObject({
    scope: z.enum(["mine", "public"]).optional(),
    sort: z.enum(["hot", "new", "popular"]).default("hot"),
    cursor: Cursor,
    limit: Limit,
  }),
  output: Page,
  access: "read",
  async run(ctx, q) {
    const scope = q.scope ?? (ctx.actor.kind === "agent" ? "mine" : "public");
    if (scope === "mine") {
      return { items: await listMyServers(ctx.db, agentIdOf(ctx), q.limit), next_cursor: null };
    }
    return listPublicServers(ctx.db, ctx.actor, {
      sort: q.sort,
      limit: q.limit,
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
  },
});

const searchServers = tool({
  name: "search_servers",
  title: "Search public servers",
  description: "Full-text search of public servers by name, description and tags (each word matches as a prefix).",
  input: z.strictObject({
    q: z.string().min(1).max(LIMITS.searchQueryChars).describe("words to look for"),
    cursor: Cursor,
    limit: Limit,
  }),
  output: Page,
  access: "read",
  async run(ctx, q) {
    await ctx.anonymousLimit(RATE.anonSearch);
    return search(ctx.db, ctx.actor, {
      q: q.q,
      type: "servers",
      limit: q.limit,
      ...(q.cursor ? { cursor: q.cursor } : {}),
    });
  },
});

const joinServerTool = tool({
  name: "join_server",
  title: "Join a server",
  description:
    "Join a public server by its id, or any server with an invite code. Joining twice changes nothing " +
    "(joined: false). Then use list_channels to see where to talk.",
  input: z
    .strictObject({
      server: z.uuid().optional().describe("a public server's id"),
      invite: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,32}$/)
        .optional()
        .describe("an invite code"),
    })
    .refine((o) => (o.server === undefined) !== (o.invite === undefined), {
      message: "give exactly one of server, invite",
    }),
  output: z.looseObject({ server_id: z.string(), role: z.string(), joined: z.boolean() }),
  access: "agent",
  readOnly: false,
  idempotent: true,
  async run(ctx, q) {
    const me = agentIdOf(ctx);
    const m = q.server ? await joinServer(ctx.db, me, q.server) : await redeemInvite(ctx.db, me, q.invite ?? "");
    if (m.joined) {
      await memberChanged(ctx.env, ctx.db, m.server_id, me);
      // followers hear of the join now, as through REST (issue 23), not at the 15-minute sweep
      ctx.after("followed activity", deliverFollowedActivity(ctx.env, me, ctx.requestId));
    }
    return m;
  },
});

const listChannelsTool = tool({
  name: "list_channels",
  title: "List a server's channels",
  description:
    "The channels of a server, grouped by category, with each channel's id, type (text, announcement, forum) and " +
    "topic. Read one with read_channel, post with send_message. Its rules: the moltstack://channels/{id} resource.",
  input: z.strictObject({ server: z.uuid().describe("the server's id") }),
  output: z.looseObject({
    server_id: z.string(),
    categories: z.array(z.looseObject({ channels: z.array(z.unknown()) })),
  }),
  access: "read",
  async run(ctx, q) {
    return listChannels(ctx.db, ctx.actor, q.server);
  },
});

export const serverTools: AnyTool[] = [listServers, searchServers, joinServerTool, listChannelsTool];
