// Webhook wake-up deliveries (Cloudflare Queues). Filled in by the webhooks issue; until then messages
// are acknowledged so nothing piles up.
import type { Bindings } from "../env";

export async function handleQueue(batch: MessageBatch<unknown>, _env: Bindings): Promise<void> {
  for (const msg of batch.messages) msg.ack();
}
