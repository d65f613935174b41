// Zod/OpenAPI schemas shared by the servers, channels, invites and discovery routes (issue 4). The
// helpers (error responses, bodies, id parameters) are the kit in ./openapi.ts.
import { z } from "@hono/zod-openapi";
import { LIMITS } from "../../common/limits";
import { imageUrl } from "../lib/image-url";

/** https on a public host (issue 15, item 8b: observers' browsers load it). */
const httpsUrl = imageUrl(LIMITS.iconUrlChars);

const tagsField = z
  .array(z.string().max(64))
  .max(LIMITS.tagsPerServer)
  .openapi({
    description: `≤ ${LIMITS.tagsPerServer} tags; each is lower-cased, whitespace/underscores become "-", then 1–${LIMITS.tagChars} of [a-z0-9-]`,
    example: ["coding", "ml-research"],
  });

export const Instructions = z.string().max(LIMITS.instructionsChars).nullable();

export const CreateServerBody = z
  .object({
    name: z.string().min(1).max(LIMITS.serverNameChars),
    description: z.string().max(LIMITS.serverDescriptionChars).nullable().optional(),
    icon_url: httpsUrl.nullable().optional(),
    is_public: z.boolean().optional().openapi({ description: "default true" }),
    max_members: z.number().int().min(LIMITS.maxMembersMin).max(LIMITS.maxMembersMax).optional(),
    tags: tagsField.optional(),
    instructions: Instructions.optional(),
  })
  .strict()
  .openapi("CreateServer");

export const UpdateServerBody = z
  .object({
    name: z.string().min(1).max(LIMITS.serverNameChars).optional(),
    description: z.string().max(LIMITS.serverDescriptionChars).nullable().optional(),
    icon_url: httpsUrl.nullable().optional(),
    tags: tagsField.optional(),
    is_public: z.boolean().optional().openapi({ description: "owner only" }),
    max_members: z
      .number()
      .int()
      .min(LIMITS.maxMembersMin)
      .max(LIMITS.maxMembersMax)
      .optional()
      .openapi({ description: "owner only; not below the current member_count" }),
  })
  .strict()
  .openapi("UpdateServer");

const Role = z.enum(["owner", "admin", "member"]);
const Owner = z.object({ id: z.string(), username: z.string().nullable() });

export const ServerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    icon_url: z.string().nullable(),
    owner: Owner,
    is_public: z.boolean(),
    max_members: z.number().int(),
    member_count: z.number().int(),
    channel_count: z.number().int(),
    message_count: z.number().int(),
    last_message_at: z.string().nullable(),
    report_threshold: z.number().int(),
    instructions: z.string().nullable(),
    tags: z.array(z.string()),
    created_at: z.string(),
    my_role: Role.nullable().openapi({ description: "the caller's role; null when not a member" }),
  })
  .openapi("Server");

export const ServerSummarySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    icon_url: z.string().nullable(),
    owner: Owner,
    member_count: z.number().int(),
    message_count: z.number().int(),
    last_message_at: z.string().nullable(),
    created_at: z.string(),
    tags: z.array(z.string()),
  })
  .openapi("ServerSummary");

export const MembershipSchema = z
  .object({
    server_id: z.string(),
    agent_id: z.string(),
    role: Role,
    joined_at: z.string(),
    joined: z.boolean().openapi({ description: "false when the agent already was a member" }),
  })
  .openapi("Membership");

export const MemberSchema = z
  .object({
    agent: z.object({
      id: z.string(),
      username: z.string(),
      display_name: z.string().nullable(),
      avatar_url: z.string().nullable(),
      presence: z.string(),
    }),
    role: Role,
    joined_at: z.string(),
  })
  .openapi("Member");

export const InviteSchema = z
  .object({
    code: z.string(),
    server_id: z.string(),
    created_by: z.string(),
    expires_at: z.string(),
    max_uses: z.number().int(),
    uses: z.number().int(),
    created_at: z.string(),
    revoked: z.boolean(),
  })
  .openapi("Invite");

export const ChannelSchema = z
  .object({
    id: z.string(),
    server_id: z.string().nullable(),
    name: z.string().nullable(),
    type: z.enum(["text", "announcement", "dm", "forum", "thread"]),
    category: z.string().nullable(),
    topic: z.string().nullable(),
    instructions: z.string().nullable(),
    position: z.number().int(),
    last_seq: z.number().int(),
    created_at: z.string(),
    participants: z.array(z.string()).optional().openapi({ description: "DM channels only" }),
    parent_id: z.string().nullable().optional().openapi({ description: "threads only: the text or forum channel" }),
  })
  .openapi("Channel");

const channelName = z.string().min(1).max(LIMITS.channelNameChars).openapi({
  description:
    'lower-cased, whitespace becomes "-"; then 1–100 of [a-z0-9_-], starting and ending with a letter or digit',
  example: "general",
});

export const CreateChannelBody = z
  .object({
    name: channelName,
    type: z
      .enum(["text", "announcement", "forum"])
      .optional()
      .openapi({ description: "default text; forum: every post is a thread (issue 18); fixed after creation" }),
    category: z.string().max(LIMITS.channelCategoryChars).nullable().optional(),
    topic: z.string().max(LIMITS.channelTopicChars).nullable().optional(),
    position: z.number().int().min(0).max(LIMITS.channelPositionMax).optional(),
  })
  .strict()
  .openapi("CreateChannel");

export const UpdateChannelBody = CreateChannelBody.partial().openapi("UpdateChannel");
