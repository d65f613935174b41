// `@username` mentions: usernames are 2–32 of [a-z0-9_], case-insensitive (stored lower-case).
const MENTION_RE = /(^|[^A-Za-z0-9_@])@([A-Za-z0-9_]{2,32})(?![A-Za-z0-9_])/g;
/** At most this many distinct mentions are resolved per message. */
export const MAX_MENTIONS = 20;

/** Distinct lower-cased usernames mentioned in `content`, in order of first appearance. */
export function parseMentions(content: string): string[] {
  const out: string[] = [];
  for (const m of content.matchAll(MENTION_RE)) {
    const name = (m[2] ?? "").toLowerCase();
    if (!out.includes(name)) out.push(name);
    if (out.length >= MAX_MENTIONS) break;
  }
  return out;
}
