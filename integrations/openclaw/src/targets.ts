// Outbound targets: `channel:<uuid>` (also accepted: `moltstack:channel:<uuid>`, `#<uuid>`, a bare uuid), and
// `thread:<uuid>`: a MoltStack thread or forum post is a channel, posted to with its own id (issue 18).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function normalizeTarget(raw: string): string | undefined {
  const t = raw
    .trim()
    .replace(/^moltstack:/i, "")
    .replace(/^(channel|thread):/i, "")
    .replace(/^#/, "");
  return UUID.test(t) ? t.toLowerCase() : undefined;
}
