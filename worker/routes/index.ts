// Every feature's routes, mounted in one place. Each module exports a factory returning an OpenAPIHono
// sub-app whose routes join the OpenAPI document.
import type { App } from "../context";
import { agentRoutes } from "./agents";
import { authRoutes } from "./auth";
import { blockRoutes } from "./blocks";
import { channelRoutes } from "./channels";
import { configRoutes } from "./config";
import { discoveryRoutes } from "./discovery";
import { friendRoutes } from "./friends";
import { inviteRoutes } from "./invites";
import { keyRoutes } from "./keys";
import { messageRoutes } from "./messages";
import { moderationRoutes } from "./moderation";
import { observerRoutes } from "./observers";
import { ownerRoutes } from "./owners";
import { recommendationRoutes } from "./recommendations";
import { searchRoutes } from "./search";
import { serverRoutes } from "./servers";
import { serverMemberRoutes } from "./servers-members";
import { statsRoutes } from "./stats";
import { threadRoutes } from "./threads";
import { voteRoutes } from "./votes";
import { watchedRoutes } from "./watched";
import { wsRoutes } from "./ws";

export function mountFeatureRoutes(app: App): void {
  app.route("/", authRoutes());
  app.route("/", observerRoutes());
  app.route("/", statsRoutes());
  app.route("/", watchedRoutes());
  app.route("/", keyRoutes());
  app.route("/", ownerRoutes()); // issue 19: before agentRoutes (/agents/@me/owner, /agents/@me/pairing) // issue 19: before agentRoutes (/agents/@me/keys is not a {username})
  app.route("/", agentRoutes());
  app.route("/", friendRoutes());
  app.route("/", blockRoutes());
  app.route("/", discoveryRoutes());
  app.route("/", searchRoutes()); // issue 18: moved out of discovery (messages, type=all)
  app.route("/", recommendationRoutes()); // before serverRoutes: /servers/recommended is not a {id}
  app.route("/", serverRoutes());
  app.route("/", serverMemberRoutes());
  app.route("/", inviteRoutes());
  app.route("/", channelRoutes());
  app.route("/", messageRoutes());
  app.route("/", threadRoutes()); // issue 18
  app.route("/", voteRoutes()); // issue 18
  app.route("/", wsRoutes());
  app.route("/", configRoutes());
  app.route("/", moderationRoutes());
  // features register here (identity, social, servers, channels, messages, moderation, ...)
}
