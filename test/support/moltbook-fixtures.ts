// Contract fixtures for the Moltbook layer (issue 20), derived from Moltbook's open-source API and typed
// community clients. Each one cites the file it came from. The zod schemas mirror the clients' typed
// models field for field (a required field there is required here; Option<T> is nullable/optional), so a
// response that parses is one those clients deserialize.
import { z } from "zod";

const opt = <T extends z.ZodType>(t: T) => t.nullable().optional();

// ---------------------------------------------------------------- kelexine/moltbook-cli src/api/types.rs
// (typed Rust client of the live API; serde: a non-Option field must be present and of its type)
export const KAuthor = z.object({
  id: opt(z.string()),
  name: z.string(),
  description: opt(z.string()),
  karma: opt(z.number().int()),
  follower_count: opt(z.number().int().min(0)),
});
export const KSubmoltInfo = z.object({ name: z.string(), display_name: z.string() });
export const KPost = z.object({
  id: z.string(),
  title: z.string(),
  content: opt(z.string()),
  url: opt(z.string()),
  upvotes: z.number().int(),
  downvotes: z.number().int(),
  comment_count: opt(z.number().int().min(0)),
  created_at: z.string(),
  author: KAuthor,
  submolt: KSubmoltInfo,
});
export const KAgent = z.object({
  id: z.string(),
  name: z.string(),
  description: opt(z.string()),
  karma: opt(z.number().int()),
  follower_count: opt(z.number().int().min(0)),
  following_count: opt(z.number().int().min(0)),
  is_claimed: opt(z.boolean()),
  is_active: opt(z.boolean()),
  created_at: opt(z.string()),
  last_active: opt(z.string()),
  owner: opt(z.object({ x_handle: opt(z.string()) })),
  stats: opt(z.object({ posts: opt(z.number()), comments: opt(z.number()), subscriptions: opt(z.number()) })),
});
export const KStatusResponse = z.object({
  status: opt(z.string()),
  message: opt(z.string()),
  next_step: opt(z.string()),
});
export const KPostResponse = z.object({
  success: z.boolean(),
  message: opt(z.string()),
  post: opt(KPost),
  // the layer never issues challenges: a present `verification_required` would make clients wait for one
  verification_required: z.never().optional(),
});
export const KFeedResponse = z.object({
  success: z.boolean(),
  posts: z.array(KPost),
  count: opt(z.number().int().min(0)),
  has_more: opt(z.boolean()),
  next_offset: opt(z.number().int().min(0)),
  authenticated: opt(z.boolean()),
});
export const KSearchResult = z.object({
  id: z.string(),
  type: z.string(),
  title: opt(z.string()),
  content: opt(z.string()),
  upvotes: z.number().int(),
  downvotes: z.number().int(),
  similarity: opt(z.number().min(0).max(1)),
  author: KAuthor,
  post_id: opt(z.string()),
});
export const KSearchResponse = z.object({ results: z.array(KSearchResult) });
export const KSubmolt = z.object({
  id: opt(z.string()),
  name: z.string(),
  display_name: z.string(),
  description: opt(z.string()),
  subscriber_count: opt(z.number().int().min(0)),
  created_at: opt(z.string()),
  last_activity_at: opt(z.string()),
});
export const KSubmoltsResponse = z.object({ submolts: z.array(KSubmolt) });
export const KDmCheckResponse = z.object({
  has_activity: z.boolean(),
  summary: opt(z.string()),
  requests: opt(
    z.object({
      items: z.array(
        z.object({
          from: KAuthor,
          message: opt(z.string()),
          message_preview: opt(z.string()),
          conversation_id: z.string(),
        }),
      ),
    }),
  ),
  messages: opt(z.object({ total_unread: z.number().int().min(0) })),
});
export const KDmListResponse = z.object({
  conversations: z.object({
    items: z.array(
      z.object({ conversation_id: z.string(), with_agent: KAuthor, unread_count: z.number().int().min(0) }),
    ),
  }),
  total_unread: z.number().int().min(0),
});
export const KMessage = z.object({
  from_agent: KAuthor,
  message: z.string(),
  from_you: z.boolean(),
  needs_human_input: z.boolean(),
  created_at: z.string(),
});
export const KRegistrationResponse = z.object({
  success: z.boolean(),
  agent: z.object({ name: z.string(), api_key: z.string(), claim_url: z.string(), verification_code: z.string() }),
});
/** kelexine ApiResponse<T>: the error side */
export const KErrorResponse = z.object({
  success: z.literal(false),
  error: z.string(),
  hint: z.string(),
  retry_after_minutes: opt(z.number().int().min(0)),
  retry_after_seconds: opt(z.number().int().min(0)),
});

// ---------------------------------------------------------------- captainclawd/api @ 96502dc (OSS release)
/** src/utils/errors.js ApiError.toJSON: {success:false, error, code, hint} with these codes */
export const OssError = z.object({
  success: z.literal(false),
  error: z.string(),
  code: z.enum([
    "UNAUTHORIZED",
    "FORBIDDEN",
    "NOT_FOUND",
    "CONFLICT",
    "RATE_LIMITED",
    "VALIDATION_ERROR",
    "BAD_REQUEST",
    "INTERNAL_ERROR",
  ]),
  hint: z.string(),
});
/** src/utils/response.js paginated(): data + pagination {count, limit, offset, hasMore} */
export const OssPaginated = z.object({
  success: z.literal(true),
  data: z.array(z.unknown()),
  pagination: z.object({
    count: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    hasMore: z.boolean(),
  }),
});
/** src/services/VoteService.js: {success, message, action: upvoted|downvoted|removed|changed} */
export const OssVote = z.object({
  success: z.literal(true),
  message: z.string(),
  action: z.enum(["upvoted", "downvoted", "removed", "changed"]),
});
/** src/services/CommentService.js getByPost: nested tree with depth and replies */
export interface OssComment {
  id: string;
  content: string;
  score: number;
  upvotes: number;
  downvotes: number;
  parent_id: string | null;
  depth: number;
  created_at: string;
  author_name: string;
  replies: OssComment[];
}
export const OssCommentNode: z.ZodType<OssComment> = z.lazy(() =>
  z.object({
    id: z.string(),
    content: z.string(),
    score: z.number().int(),
    upvotes: z.number().int(),
    downvotes: z.number().int(),
    parent_id: z.string().nullable(),
    depth: z.number().int().min(0).max(10),
    created_at: z.string(),
    author_name: z.string(),
    replies: z.array(OssCommentNode),
  }),
);
/** src/middleware/errorHandler.js notFoundHandler */
export const OssNotFound = z.object({
  success: z.literal(false),
  error: z.literal("Endpoint not found"),
  hint: z.string().regex(/^[A-Z]+ \S+ does not exist/),
});

/**
 * Recorded requests (method, path, body) as the OSS routes and the published skill send them; `status` is
 * what Moltbook answers. Sources: src/routes/{agents,posts,comments,submolts}.js @ 96502dc, skill v1.11.0
 * (vjb/aegis-v4:.agent/skills/moltbook-skills/SKILL.md), MESSAGING.md (zorgspace/slashbot:skills/moltbook/MESSAGING.md).
 */
export const RECORDED = {
  register: {
    method: "POST",
    path: "/agents/register",
    body: { name: "ReefBot", description: "I read the tides" },
    status: 201,
  },
  createSubmolt: {
    method: "POST",
    path: "/submolts",
    body: { name: "aithoughts", display_name: "AI Thoughts", description: "A place for agents" },
    status: 201,
  },
  createPost: {
    method: "POST",
    path: "/posts",
    body: { submolt: "general", title: "Hello Moltbook!", content: "My first post!" },
    status: 201,
  },
  createPostNew: {
    method: "POST",
    path: "/posts",
    body: { submolt_name: "general", title: "Hello", content: "Body" },
    status: 201,
  },
  linkPost: {
    method: "POST",
    path: "/posts",
    body: { submolt: "general", title: "Interesting article", url: "https://example.com" },
    status: 201,
  },
  comment: { method: "POST", path: "/posts/:id/comments", body: { content: "Great insight!" }, status: 201 },
  reply: {
    method: "POST",
    path: "/posts/:id/comments",
    body: { content: "I agree!", parent_id: ":comment" },
    status: 201,
  },
  dmRequest: {
    method: "POST",
    path: "/agents/dm/request",
    body: { to: ":name", message: "Hi! My human wants to ask your human about the project." },
    status: 201,
  },
  dmSend: {
    method: "POST",
    path: "/agents/dm/conversations/:id/send",
    body: { message: "Thanks for the info!" },
    status: 201,
  },
} as const;
