// MoltStack rows in Moltbook's object shapes (issue 20). Both casings and both nestings clients read are
// emitted: live snake_case with nested `author`/`submolt` objects (kelexine/moltbook-cli src/api/types.rs),
// and the OSS flat fields (`author_name`, `submolt` name, `score`; captainclawd/api@96502dc services).
import type { CommentRow, MoltAgentRow, PostRow, SubmoltRow } from "../services/moltbook";

const LINK_RE = /^https?:\/\/\S+$/;

export function agentShape(a: MoltAgentRow, claimed: boolean) {
  const status = claimed ? "claimed" : "pending_claim";
  return {
    id: a.id,
    name: a.username,
    display_name: a.display_name ?? a.username,
    displayName: a.display_name ?? a.username,
    description: a.bio ?? "",
    avatar_url: a.avatar_url,
    karma: a.karma,
    follower_count: a.follower_count,
    following_count: a.following_count,
    followerCount: a.follower_count,
    followingCount: a.following_count,
    is_claimed: claimed,
    isClaimed: claimed,
    is_active: true,
    status,
    created_at: a.created_at,
    createdAt: a.created_at,
    last_active: a.last_seen_at ?? a.created_at,
    owner: null,
    stats: { posts: a.posts, comments: a.comments, subscriptions: a.subscriptions },
  };
}

export function postShape(p: PostRow) {
  const content = p.content ?? "";
  const isLink = LINK_RE.test(content.trim());
  return {
    id: p.id,
    title: p.title,
    content,
    url: isLink ? content.trim() : null,
    post_type: isLink ? "link" : "text",
    upvotes: p.ups,
    downvotes: p.downs,
    score: p.score,
    comment_count: p.comment_count,
    created_at: p.created_at,
    is_pinned: p.pinned,
    author: p.author_id
      ? {
          id: p.author_id,
          name: p.author_name,
          description: p.author_description ?? "",
          karma: p.author_karma,
          follower_count: p.author_follower_count,
        }
      : null,
    author_name: p.author_name,
    author_display_name: p.author_display_name ?? p.author_name,
    submolt: { name: p.submolt_name, display_name: p.submolt_display_name },
    submolt_name: p.submolt_name,
    userVote: p.user_vote ?? null,
    user_vote: p.user_vote ?? null,
    // the MoltStack objects behind it: a forum thread in a server
    moltstack: { thread_id: p.id, forum_channel_id: p.forum_id, server_id: p.server_id, body_message_id: p.body_id },
  };
}

export type CommentNode = ReturnType<typeof commentShape> & { replies: CommentNode[] };

export function commentShape(c: CommentRow, depth: number) {
  return {
    id: c.id,
    post_id: c.post_id,
    content: c.deleted ? "[deleted]" : c.content,
    is_deleted: c.deleted,
    score: c.ups - c.downs,
    upvotes: c.ups,
    downvotes: c.downs,
    parent_id: c.parent_id,
    depth,
    created_at: c.created_at,
    author: c.deleted ? null : { id: c.author_id, name: c.author_name },
    author_name: c.deleted ? "[deleted]" : c.author_name,
    author_display_name: c.deleted ? "[deleted]" : (c.author_display_name ?? c.author_name),
    userVote: c.user_vote ?? null,
  };
}

export type CommentSort = "top" | "best" | "new" | "old" | "controversial";

const SORTS: Record<CommentSort, (a: CommentNode, b: CommentNode) => number> = {
  top: (a, b) => b.score - a.score || a.created_at.localeCompare(b.created_at),
  best: (a, b) => b.score - a.score || a.created_at.localeCompare(b.created_at),
  new: (a, b) => b.created_at.localeCompare(a.created_at),
  old: (a, b) => a.created_at.localeCompare(b.created_at),
  controversial: (a, b) => controversy(b) - controversy(a) || b.upvotes + b.downvotes - (a.upvotes + a.downvotes),
};

function controversy(n: CommentNode): number {
  const total = n.upvotes + n.downvotes;
  return total === 0 ? 0 : (Math.min(n.upvotes, n.downvotes) / Math.max(n.upvotes, n.downvotes, 1)) * total;
}

/**
 * The nested `replies` tree from reply_to (depth ≤ maxDepth; a reply whose parent is missing is shown at
 * the top level). A deleted comment stays as `[deleted]` while it has replies and disappears otherwise.
 */
export function commentTree(rows: CommentRow[], sort: CommentSort, maxDepth: number): CommentNode[] {
  const byId = new Map<string, CommentRow>(rows.map((r) => [r.id, r]));
  const children = new Map<string | null, CommentRow[]>();
  for (const r of rows) {
    const parent = r.parent_id && byId.has(r.parent_id) ? r.parent_id : null;
    const list = children.get(parent) ?? [];
    list.push(r);
    children.set(parent, list);
  }
  const build = (parent: string | null, depth: number): CommentNode[] => {
    const out: CommentNode[] = [];
    for (const r of children.get(parent) ?? []) {
      const replies = depth < maxDepth ? build(r.id, depth + 1) : [];
      if (r.deleted && replies.length === 0) continue;
      out.push({ ...commentShape(r, depth), replies });
    }
    return out.sort(SORTS[sort]);
  };
  return build(null, 0);
}

export function submoltShape(s: SubmoltRow, isSubscribed: boolean | null) {
  const role = s.your_role === "owner" ? "owner" : s.your_role === "admin" ? "moderator" : null;
  return {
    id: s.id,
    name: s.name,
    display_name: s.display_name,
    description: s.description ?? "",
    subscriber_count: s.subscriber_count,
    post_count: s.post_count,
    created_at: s.created_at,
    last_activity_at: s.last_activity_at,
    created_by: s.created_by_name,
    banner_color: s.banner_color,
    theme_color: s.theme_color,
    your_role: role,
    ...(isSubscribed === null ? {} : { isSubscribed, is_subscribed: isSubscribed }),
    moltstack: { server_id: s.server_id, forum_channel_id: s.forum_id },
  };
}
