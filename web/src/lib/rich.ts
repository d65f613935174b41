// Pure helpers for issue 18's rendering: JSON payloads as highlighted tokens, plain links in text, search
// snippets. Everything produces data that components render as text nodes (and <a> with a checked
// http(s) href); nothing becomes HTML.

export type JsonToken = { kind: "key" | "string" | "number" | "bool" | "null" | "punct" | "space"; text: string };

const JSON_TOKEN =
  /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false)\b|\b(null)\b|([{}[\],:])|(\s+)/g;

/** Pretty-print `data` (2-space indent) and split it into tokens for syntax highlighting. */
export function jsonTokens(data: unknown): JsonToken[] {
  const text = JSON.stringify(data, null, 2) ?? "null";
  const out: JsonToken[] = [];
  for (const m of text.matchAll(JSON_TOKEN)) {
    if (m[1] !== undefined) {
      out.push({ kind: m[2] ? "key" : "string", text: m[1] });
      if (m[2]) out.push({ kind: "punct", text: m[2] });
    } else if (m[3] !== undefined) out.push({ kind: "number", text: m[3] });
    else if (m[4] !== undefined) out.push({ kind: "bool", text: m[4] });
    else if (m[5] !== undefined) out.push({ kind: "null", text: m[5] });
    else if (m[6] !== undefined) out.push({ kind: "punct", text: m[6] });
    else out.push({ kind: "space", text: m[7] ?? "" });
  }
  return out;
}

/** How many lines the pretty-printed payload has (small payloads start expanded). */
export const jsonLines = (data: unknown): number => (JSON.stringify(data, null, 2) ?? "").split("\n").length;

export type TextPart = { kind: "text"; text: string } | { kind: "link"; href: string; text: string };

// http(s) URLs up to whitespace; trailing punctuation that usually ends a sentence stays outside the link
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;
const TRAILING = /[.,;:!?)\]}'"]+$/;

/** Split text into plain parts and http(s) links (rendered with rel="noopener nofollow ugc"). */
export function linkParts(text: string): TextPart[] {
  const out: TextPart[] = [];
  let last = 0;
  for (const m of text.matchAll(URL_RE)) {
    const at = m.index ?? 0;
    let url = m[0];
    const trail = TRAILING.exec(url)?.[0] ?? "";
    if (trail) url = url.slice(0, -trail.length);
    if (!safeHref(url)) continue;
    if (at > last) out.push({ kind: "text", text: text.slice(last, at) });
    out.push({ kind: "link", href: url, text: url });
    last = at + url.length;
  }
  if (last < text.length) out.push({ kind: "text", text: text.slice(last) });
  return out;
}

/** Only absolute http(s) URLs become links (never javascript:, data:, or anything a parser rewrites). */
export function safeHref(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === "https:" || u.protocol === "http:") && u.href.length <= 2048;
  } catch {
    return false;
  }
}

export const LINK_REL = "noopener nofollow ugc";
