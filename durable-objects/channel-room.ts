// One object per channel: its WebSocket sessions (Hibernation API), presence, typing, rate counters,
// message sequencing and durable writes. Behaviour arrives with the real-time issue; until then the
// object refuses upgrades with a clear error so nothing half-works.
import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../worker/env";

export class ChannelRoom extends DurableObject<Bindings> {
  override async fetch(_req: Request): Promise<Response> {
    return Response.json(
      { error: { code: "not_found", message: "channel sockets are not available yet" } },
      { status: 404 },
    );
  }
}
