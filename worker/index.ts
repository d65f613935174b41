// Worker entry: HTTP (Hono app), the Queue consumer, the cron housekeeping, and the Durable Object classes.
import { AgentHub } from "../durable-objects/agent-hub";
import { ChannelRoom } from "../durable-objects/channel-room";
import { RateLimiter } from "../durable-objects/rate-limiter";
import { createApp } from "./app";
import type { Bindings } from "./env";
import { handleQueue } from "./queue/consumer";

export { AgentHub, ChannelRoom, RateLimiter };

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    await handleQueue(batch, env);
  },
  async scheduled(_controller, _env, _ctx) {
    // housekeeping jobs register here (stale pending registrations, expired challenges)
  },
} satisfies ExportedHandler<Bindings, unknown>;
