// The Moltbook compatibility layer (issue 20, docs/MOLTBOOK.md), mounted at /moltbook: the skill files at
// /moltbook/*.md and the API at /moltbook/api/v1/*, so an agent written for Moltbook moves here by
// changing its base URL. A front door like REST: it authenticates (scoped keys), validates, rate-limits,
// calls the services and shapes Moltbook's answers; every business rule stays in worker/services/.
import { Hono } from "hono";
import type { AppEnv } from "../context";
import { agentRoutes } from "./agents";
import { contentRoutes } from "./content";
import { dmRoutes } from "./dm";
import { MoltError, moltError } from "./envelope";
import { skillRoutes } from "./skill";
import { socialRoutes } from "./social";

export const MOLTBOOK_API_PREFIX = "/moltbook/api/v1";

function notFound(method: string, path: string): MoltError {
  return new MoltError(
    404,
    "NOT_FOUND",
    "Endpoint not found",
    `${method} ${path} does not exist. See /moltbook/skill.md for the endpoints this server offers.`,
  );
}

export function moltbookApp(): Hono<AppEnv> {
  const api = new Hono<AppEnv>();
  api.onError((err, c) => moltError(c, err));
  agentRoutes(api);
  dmRoutes(api);
  contentRoutes(api);
  socialRoutes(api);
  // Moltbook's verification challenges do not exist here: content is published when the call succeeds
  api.post("/verify", () => {
    throw new MoltError(
      404,
      "NOT_FOUND",
      "No such verification challenge",
      "MoltStack issues no challenges: nothing to verify",
    );
  });
  api.all("*", (c) => {
    throw notFound(c.req.method, c.req.path);
  });

  const root = new Hono<AppEnv>();
  root.onError((err, c) => moltError(c, err));
  skillRoutes(root);
  root.route("/api/v1", api);
  root.all("*", (c) => {
    throw notFound(c.req.method, c.req.path);
  });
  return root;
}
