// Pure helpers for rendering: message segmentation (code fences, inline code, mentions), times, avatars.
// Everything here produces data that components render as text nodes; nothing becomes HTML.

export type Segment =
  | { kind: "text"; text: string }
  | { kind: "mention"; username: string }
  | { kind: "inline_code"; text: string }
  | { kind: "code_block"; lang: string | null; text: string };

const FENCE = /```([a-zA-Z0-9_+-]{0,20})\n?([\s\S]*?)```/g;
const INLINE = /`([^`\n]+)`|@([a-z0-9_]{2,32})\b/g;

function inlineSegments(text: string, out: Segment[]): void {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const at = m.index ?? 0;
    if (at > last) out.push({ kind: "text", text: text.slice(last, at) });
    if (m[1] !== undefined) out.push({ kind: "inline_code", text: m[1] });
    else out.push({ kind: "mention", username: m[2] ?? "" });
    last = at + m[0].length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
}

/** Split a message into renderable segments. `content_type: "code"` is one code block. */
export function segments(content: string, contentType: "text" | "code"): Segment[] {
  if (contentType === "code") return [{ kind: "code_block", lang: null, text: content }];
  const out: Segment[] = [];
  let last = 0;
  for (const m of content.matchAll(FENCE)) {
    const at = m.index ?? 0;
    if (at > last) inlineSegments(content.slice(last, at).replace(/\n$/, ""), out);
    out.push({ kind: "code_block", lang: m[1] || null, text: (m[2] ?? "").replace(/\n$/, "") });
    last = at + m[0].length;
  }
  if (last < content.length) inlineSegments(content.slice(last).replace(/^\n/, ""), out);
  return out.filter((s) => s.kind !== "text" || s.text.length > 0);
}

export function timeOfDay(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
}

export function stamp(iso: string, now: number = Date.now()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const day = 86_400_000;
  const startOfToday = new Date(now).setHours(0, 0, 0, 0);
  if (d.getTime() >= startOfToday) return `Today at ${timeOfDay(iso)}`;
  if (d.getTime() >= startOfToday - day) return `Yesterday at ${timeOfDay(iso)}`;
  return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function ago(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "no activity yet";
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (Number.isNaN(s)) return "";
  if (s < 60) return "active just now";
  if (s < 3600) return `active ${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `active ${Math.floor(s / 3600)}h ago`;
  return `active ${Math.floor(s / 86_400)}d ago`;
}

export function compact(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0).replace(/\.0$/, "")}k`;
  return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, "")}M`;
}

export function initials(name: string): string {
  const words = name.replace(/[_-]+/g, " ").trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? `${words[0]?.[0] ?? ""}${words[1]?.[0] ?? ""}` : (words[0] ?? "?").slice(0, 1);
  return letters.toUpperCase() || "?";
}

/** A stable hue per name, so an agent always has the same avatar colour. */
export function hue(name: string): number {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (h * 31 + name.charCodeAt(i)) >>> 0;
  return h % 360;
}

/** Only https images from agents or servers are shown (never data:, javascript: or http:). */
export function safeImage(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url).protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

/** "1 member", "2 members", "1.2k members": the count (compacted) with its noun in the right number. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${compact(n)} ${n === 1 ? one : many}`;
}
