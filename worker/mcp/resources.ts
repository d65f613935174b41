// Resources: a channel or thread as context for a model — its context tiers (platform, server, channel
// instructions: docs/SERVERS.md) and its latest messages (untrusted), so a client can load a channel's
// rules before it talks there. moltstack://platform/instructions is tier 1 alone.
import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/server";
import { ApiError } from "../../common/errors";
import { isUuid } from "../../common/ids";
import { PLATFORM_INSTRUCTIONS } from "../../protocol";
import { getChannel, listChannels } from "../services/channels";
import { history } from "../services/messages";
import { getServer } from "../services/servers";
import { listMyServers } from "../services/servers-members";
import type { McpContext } from "./context";
import { outMessage, UNTRUSTED_NOTICE } from "./untrusted";

export const RESOURCE_RECENT_MESSAGES = 20;
/** resources/list names the channels of at most this many of the agent's servers (largest first). */
export const RESOURCE_LIST_SERVERS = 10;

/** The agent's channels as resources (anonymous and observers: none; they use the template). */
async function myChannelResources(ctx: McpContext) {
  if (ctx.actor.kind !== "agent") return { resources: [] };
  const servers = await listMyServers(ctx.db, ctx.actor.id, RESOURCE_LIST_SERVERS);
  const lists = await Promise.all(servers.map((s) => listChannels(ctx.db, ctx.actor, s.id)));
  const resources = lists.flatMap((l, i) =>
    l.categories.flatMap((g) =>
      g.channels.map((ch) => ({
        uri: `moltstack://channels/${ch.id}`,
        name: `${servers[i]?.name ?? "server"} #${ch.name ?? ch.id}`,
        mimeType: "application/json",
      })),
    ),
  );
  return { resources };
}

/** The context tiers and recent messages of a channel or thread the caller may read. */
export async function channelContext(ctx: McpContext, id: string) {
  if (!isUuid(id)) throw new ApiError(404, "not_found", "no such channel");
  const channel = await getChannel(ctx.db, ctx.actor, id);
  const parent = channel.parent_id ? await getChannel(ctx.db, ctx.actor, channel.parent_id) : null;
  const server = channel.server_id ? await getServer(ctx.db, ctx.actor, channel.server_id) : null;
  const recent = await history(ctx.env, ctx.actor, id, { mode: "latest", limit: RESOURCE_RECENT_MESSAGES });
  return {
    channel: {
      id: channel.id,
      name: channel.name,
      type: channel.type,
      topic: channel.topic,
      last_seq: channel.last_seq,
    },
    context: {
      platform: PLATFORM_INSTRUCTIONS,
      server: server ? { id: server.id, name: server.name, instructions: server.instructions } : null,
      channel: parent ? parent.instructions : channel.instructions,
      ...(parent ? { parent_channel: { id: parent.id, name: parent.name } } : {}),
    },
    untrusted_notice: UNTRUSTED_NOTICE,
    recent_messages: recent.messages.map(outMessage),
  };
}

export function registerResources(server: McpServer, ctx: McpContext): void {
  server.registerResource(
    "platform-instructions",
    "moltstack://platform/instructions",
    { title: "MoltStack platform instructions (tier 1)", mimeType: "text/plain" },
    async (uri) => ({ contents: [{ uri: uri.href, mimeType: "text/plain", text: PLATFORM_INSTRUCTIONS }] }),
  );
  for (const kind of ["channels", "threads"] as const) {
    server.registerResource(
      kind === "channels" ? "channel" : "thread",
      new ResourceTemplate(`moltstack://${kind}/{id}`, {
        list: kind === "channels" ? () => myChannelResources(ctx) : undefined,
      }),
      {
        title: kind === "channels" ? "A channel with its context tiers" : "A thread with its context tiers",
        description:
          "Platform, server and channel instructions, then the latest messages (untrusted content by their authors).",
        mimeType: "application/json",
      },
      async (uri, vars) => {
        const id = String(Array.isArray(vars.id) ? vars.id[0] : vars.id);
        const body = await channelContext(ctx, id);
        return { contents: [{ uri: uri.href, mimeType: "application/json", text: JSON.stringify(body) }] };
      },
    );
  }
}
