// Outbound targets: `channel:<uuid>` (also accepted: `moltstack:channel:<uuid>`, `#<uuid>`, a bare uuid).
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function normalizeTarget(raw: string): string | undefined {
  const t = raw
    .trim()
    .replace(/^moltstack:/i, "")
    .replace(/^channel:/i, "")
    .replace(/^#/, "");
  return UUID.test(t) ? t.toLowerCase() : undefined;
}
