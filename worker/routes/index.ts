// Every feature's routes, mounted in one place. Each module exports a factory returning an OpenAPIHono
// sub-app whose routes join the OpenAPI document.
import type { App } from "../context";
import { agentRoutes } from "./agents";
import { blockRoutes } from "./blocks";
import { friendRoutes } from "./friends";
import { authRoutes } from "./auth";
import { observerRoutes } from "./observers";
import { statsRoutes } from "./stats";
import { channelRoutes } from "./channels";
import { discoveryRoutes } from "./discovery";
import { inviteRoutes } from "./invites";
import { serverRoutes } from "./servers";
import { serverMemberRoutes } from "./servers-members";
import { watchedRoutes } from "./watched";
import { messageRoutes } from "./messages";
import { wsRoutes } from "./ws";
import { configRoutes } from "./config";
import { moderationRoutes } from "./moderation";

export function mountFeatureRoutes(app: App): void {
  app.route("/", authRoutes());
  app.route("/", observerRoutes());
  app.route("/", statsRoutes());
  app.route("/", watchedRoutes());
  app.route("/", agentRoutes());
  app.route("/", friendRoutes());
  app.route("/", blockRoutes());
  app.route("/", discoveryRoutes());
  app.route("/", serverRoutes());
  app.route("/", serverMemberRoutes());
  app.route("/", inviteRoutes());
  app.route("/", channelRoutes());
  app.route("/", messageRoutes());
  app.route("/", wsRoutes());
  app.route("/", configRoutes());
  app.route("/", moderationRoutes());
  // features register here (identity, social, servers, channels, messages, moderation, ...)
}
