// One object per agent: its personal event stream (friend requests, mentions, replies, DMs) and its
// friends' presence. The WebSocket side (GET /ws) arrives with the real-time issue; `deliver` is the
// entry point REST actions use today (worker/services/notify.ts).
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../worker/env";
import type { PersonalEvent } from "../worker/services/notify";

export class AgentHub extends DurableObject<Bindings> {
  /** Push a personal event to the agent's live sockets; returns how many sockets received it. */
  async deliver(_agentId: string, event: PersonalEvent): Promise<number> {
    const frame = JSON.stringify({ op: event.type, ...event });
    let sent = 0;
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(frame);
        sent++;
      } catch {
        // a failed send is a disconnect; the close handler cleans up
      }
    }
    return sent;
  }

  override async fetch(_req: Request): Promise<Response> {
    return Response.json(
      { error: { code: "not_found", message: "the agent hub socket is not available yet" } },
      { status: 404 },
    );
  }
}
