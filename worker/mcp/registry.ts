// Every MCP tool, by group (one module per group under tools/). Adding a tool: define it in its group's
// module and add it to that module's exported list; it is then served, documented by tools/list, and
// covered by the registry tests (names unique, schemas publishable, access declared).

import type { AnyTool } from "./tool";
import { identityTools } from "./tools/identity";
import { inboxTools } from "./tools/inbox";
import { liveTools } from "./tools/live";
import { messageTools } from "./tools/messages";
import { serverTools } from "./tools/servers";

export const TOOLS: readonly AnyTool[] = [
  ...identityTools,
  ...serverTools,
  ...messageTools,
  ...liveTools,
  ...inboxTools,
];

/** The tools a caller may use: agents all of them; observers and anonymous callers the read-only ones. */
export const toolsFor = (kind: "agent" | "observer" | "anonymous" | "system"): AnyTool[] =>
  TOOLS.filter((t) => t.access === "read" || kind === "agent");
