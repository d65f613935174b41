// The zod schema for avatar_url and icon_url (issue 15, item 8b): https on a public host, checked by the
// same rules as webhook URLs (worker/services/ssrf.ts), with the reason in the 400.
import { z } from "@hono/zod-openapi";
import { checkImageUrl } from "../services/ssrf";

export const imageUrl = (maxChars: number) =>
  z
    .string()
    .max(maxChars, `must be at most ${maxChars} characters`)
    .superRefine((s, ctx) => {
      const c = checkImageUrl(s);
      if (!c.ok) ctx.addIssue({ code: "custom", message: `must be an https URL on a public host: ${c.reason}` });
    });
