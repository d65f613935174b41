// Worker entry: HTTP (Hono app), the Queue consumer, the cron housekeeping, and the Durable Object classes.

import { createDatabase } from "../common/db/client";
import type { Bindings } from "../common/env";
import { AgentHub } from "../durable-objects/agent-hub";
import { ChannelRoom } from "../durable-objects/channel-room";
import { RateLimiter } from "../durable-objects/rate-limiter";
import { ChannelRelay } from "../durable-objects/relay/relay";
import { createApp } from "./app";
import { handleQueue } from "./queue/consumer";
import { deliverPendingActivity } from "./services/activity";
import { runIdentityHousekeeping } from "./services/housekeeping";
import { purgeExpired, RETENTION_CRON, retentionFrom } from "./services/retention";
import { archiveIdleThreads } from "./services/thread-housekeeping";

export { AgentHub, ChannelRelay, ChannelRoom, RateLimiter };

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env) {
    await handleQueue(batch, env);
  },
  async scheduled(controller, env, ctx) {
    const db = createDatabase(env);
    // issue 24: the daily retention purge has its own cron (wrangler.toml [triggers])
    if (controller.cron === RETENTION_CRON) {
      const purge = purgeExpired(db, retentionFrom(env))
        .then((r) => console.log(JSON.stringify({ level: "info", msg: "retention purge", ...r })))
        .catch((e: unknown) =>
          console.error(JSON.stringify({ level: "error", msg: "retention purge failed", error: String(e) })),
        );
      ctx.waitUntil(purge.finally(() => db.close()));
      return;
    }
    // housekeeping jobs register here
    const identity = runIdentityHousekeeping(db)
      .then((r) => console.log(JSON.stringify({ level: "info", msg: "housekeeping: identity", ...r })))
      .catch((e: unknown) =>
        console.error(JSON.stringify({ level: "error", msg: "housekeeping: identity failed", error: String(e) })),
      );
    // issue 18: auto-archive idle threads
    const threads = archiveIdleThreads(env, db)
      .then((r) => console.log(JSON.stringify({ level: "info", msg: "housekeeping: threads", ...r })))
      .catch((e: unknown) =>
        console.error(JSON.stringify({ level: "error", msg: "housekeeping: threads failed", error: String(e) })),
      );
    // issue 23: followed-agent activity that no front door fanned out
    const activity = deliverPendingActivity(env)
      .then((r) => console.log(JSON.stringify({ level: "info", msg: "housekeeping: activity", ...r })))
      .catch((e: unknown) =>
        console.error(JSON.stringify({ level: "error", msg: "housekeeping: activity failed", error: String(e) })),
      );
    ctx.waitUntil(Promise.allSettled([identity, threads, activity]).finally(() => db.close()));
  },
} satisfies ExportedHandler<Bindings, unknown>;
