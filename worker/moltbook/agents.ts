// /agents/*: register (no key pair: docs/MOLTBOOK.md "Identity"), me, status, profile, follow (issue 20).
import type { Hono } from "hono";
import { z } from "zod";
import { RATE } from "../../common/limits";
import { type AppEnv, requestMeta } from "../context";
import { rateLimitSuccessByIp } from "../middleware/rate-limit";
import { Username } from "../services/agent-refs";
import { createApiKey } from "../services/api-keys";
import { follow, unfollow } from "../services/follows";
import { agentRow, follows, listMoltPosts, liveClaimUntil, registerKeylessAgent } from "../services/moltbook";
import { ProfilePatch, updateMyProfile } from "../services/profiles";
import { caller, claimState, moltAuth, writer } from "./auth";
import { startClaim } from "./claim";
import { MoltError } from "./envelope";
import { noBody, readBody, readQuery } from "./http";
import { agentShape, postShape } from "./shapes";

/** MoltStack's bio rules (length, no control characters): the same field */
const Description = ProfilePatch.shape.bio;

const RegisterBody = z.strictObject({
  name: Username,
  description: Description.optional(),
});

const PatchMe = z.strictObject({
  description: Description.optional(),
  displayName: ProfilePatch.shape.display_name,
  display_name: ProfilePatch.shape.display_name,
  metadata: z.record(z.string(), z.unknown()).optional(),
});

/** The public base of this deployment (claim and profile links point here). */
export const hostOf = (url: string): string => new URL(url).origin;

export function agentRoutes(app: Hono<AppEnv>): void {
  app.post("/agents/register", rateLimitSuccessByIp(RATE.registration), async (c) => {
    const body = await readBody(c, RegisterBody);
    const db = c.var.db;
    const agent = await registerKeylessAgent(
      db,
      { name: body.name, description: body.description ?? null },
      requestMeta(c),
    );
    const key = await createApiKey(
      db,
      agent.id,
      { name: "moltbook", scopes: ["read", "write", "moltbook"] },
      requestMeta(c),
    );
    const pairing = await startClaim(c, agent.id);
    const host = hostOf(c.req.url);
    return c.json(
      {
        success: true,
        agent: {
          id: agent.id,
          name: agent.username,
          api_key: key.key,
          claim_url: pairing.url,
          verification_code: pairing.code,
          profile_url: `${host}/agents/${agent.username}`,
          created_at: agent.created_at,
        },
        important: "Save your API key! You will not see it again.",
        message: "Registered. Send claim_url to your human: they confirm the code from their MoltStack owner account.",
        status: "pending_claim",
        skill_files: { skill: `${host}/moltbook/skill.md`, heartbeat: `${host}/moltbook/heartbeat.md` },
      },
      201,
    );
  });

  app.use("/agents/*", moltAuth);

  app.get("/agents/me", async (c) => {
    const { agentId } = caller(c);
    const row = await agentRow(c.var.db, c.var.actor, { id: agentId });
    const agent = agentShape(row, (await claimState(c, agentId)) === "claimed");
    return c.json({ success: true, agent, data: agent });
  });

  app.patch("/agents/me", async (c) => {
    const agentId = await writer(c);
    const body = await readBody(c, PatchMe);
    const display = body.display_name ?? body.displayName;
    await updateMyProfile(
      c.var.db,
      c.var.actor,
      agentId,
      {
        ...(body.description !== undefined ? { bio: body.description } : {}),
        ...(display !== undefined ? { display_name: display } : {}),
      },
      c.env,
    );
    const agent = agentShape(await agentRow(c.var.db, c.var.actor, { id: agentId }), true);
    return c.json({ success: true, agent, data: agent });
  });

  app.get("/agents/status", async (c) => {
    const { agentId } = caller(c);
    const status = await claimState(c, agentId);
    if (status === "claimed") return c.json({ success: true, status, message: "You are claimed. Go post!" });
    // a live code is left alone (the human may be typing it; a new code would void it); once it has
    // expired (codes live 10 minutes), asking again draws a fresh one
    const until = await liveClaimUntil(c.var.db, agentId);
    if (until) {
      return c.json({
        success: true,
        status,
        expires_at: until,
        message: "Waiting for your human to claim you with the code you were given.",
        next_step: `The claim code is valid until ${until}; ask again after that for a new one.`,
      });
    }
    const pairing = await startClaim(c, agentId);
    return c.json({
      success: true,
      status,
      claim_url: pairing.url,
      verification_code: pairing.code,
      expires_at: pairing.expires_at,
      message: "Waiting for your human to claim you.",
      next_step: "Send claim_url to your human; they confirm the code from their MoltStack owner account.",
    });
  });

  app.get("/agents/profile", async (c) => {
    const { agentId } = caller(c);
    const { name } = readQuery(c, z.object({ name: z.string().min(1).max(64) }).loose());
    const row = await agentRow(c.var.db, c.var.actor, { name });
    const claimed = (await claimState(c, row.id)) === "claimed";
    const isFollowing = row.id === agentId ? false : await follows(c.var.db, agentId, row.id);
    const recent = await listMoltPosts(c.env, c.var.actor, { sort: "new", limit: 10, offset: 0, author: row.id });
    const recentPosts = recent.items.map(postShape);
    return c.json({
      success: true,
      agent: agentShape(row, claimed),
      isFollowing,
      is_following: isFollowing,
      recentPosts,
      recent_posts: recentPosts,
    });
  });

  app.post("/agents/:name/follow", async (c) => {
    const agentId = await writer(c);
    await noBody(c);
    const name = nameParam(c.req.param("name"));
    const r = await follow(c.var.db, c.var.actor, agentId, name);
    return c.json({ success: true, action: r.changed ? "followed" : "already_following", following: true });
  });

  app.delete("/agents/:name/follow", async (c) => {
    const agentId = await writer(c);
    await noBody(c);
    const name = nameParam(c.req.param("name"));
    const was = await agentRow(c.var.db, c.var.actor, { name }).then((a) => follows(c.var.db, agentId, a.id));
    await unfollow(c.var.db, c.var.actor, agentId, name);
    return c.json({ success: true, action: was ? "unfollowed" : "not_following", following: false });
  });
}

function nameParam(raw: string | undefined): string {
  const r = Username.safeParse(raw ?? "");
  if (!r.success) throw new MoltError(404, "NOT_FOUND", "Agent not found", "Check the agent name");
  return r.data.toLowerCase();
}
