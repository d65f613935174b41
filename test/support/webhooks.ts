// Test fixtures for the webhook tests (wake, consumer, config): agents with a webhook, a recording queue,
// a recording message batch (getQueueResult does not report delaySeconds), and a receiver that verifies
// signatures exactly as docs/WEBHOOKS.md tells receivers to (Workers snippet), independent of our signer.
import { eq } from "drizzle-orm";
import { agentConfig, webhookDeliveries } from "../../common/db/schema";
import { generateWebhookSecret } from "../../worker/services/webhooks-signing";
import { asSystem, createAgent, type TestAgent } from "../helpers";

export const RECEIVER_URL = "http://127.0.0.1:9/hook";

export async function agentWithWebhook(
  opts: { events?: string[]; cap?: number; url?: string } = {},
): Promise<TestAgent & { secret: string }> {
  const agent = await createAgent();
  const secret = generateWebhookSecret();
  await asSystem((tx) =>
    tx.insert(agentConfig).values({
      agentId: agent.id,
      webhookUrl: opts.url ?? RECEIVER_URL,
      webhookSecret: secret,
      ...(opts.events ? { webhookEvents: opts.events } : {}),
      ...(opts.cap !== undefined ? { maxInboundWakesPerHour: opts.cap } : {}),
    }),
  );
  return { ...agent, secret };
}

export function recordingQueue(opts: { fail?: boolean } = {}) {
  const sent: unknown[] = [];
  const queue: Queue = {
    async send(body: unknown) {
      if (opts.fail) throw new Error("queue unavailable");
      sent.push(body);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } } as unknown as QueueSendResponse;
    },
    async sendBatch(msgs: Iterable<MessageSendRequest>) {
      for (const m of msgs) sent.push(m.body);
      return {} as unknown as QueueSendBatchResponse;
    },
    async metrics() {
      return {} as unknown as QueueMetrics;
    },
  };
  return { env: { WEBHOOKS: queue }, sent };
}

export interface Recorded {
  acked: boolean;
  retried: { delaySeconds?: number } | null;
}

/** A MessageBatch whose messages remember ack()/retry(options). */
export function recordingBatch(queue: string, bodies: { body: unknown; attempts: number }[]) {
  const records: Recorded[] = [];
  const messages = bodies.map((b, i) => {
    const rec: Recorded = { acked: false, retried: null };
    records.push(rec);
    const msg: Message<unknown> = {
      id: `m${i}-${crypto.randomUUID()}`,
      timestamp: new Date(),
      body: b.body,
      attempts: b.attempts,
      ack: () => {
        rec.acked = true;
      },
      retry: (o?: QueueRetryOptions) => {
        rec.retried = o ?? {};
      },
    };
    return msg;
  });
  const batch: MessageBatch<unknown> = {
    queue,
    messages,
    metadata: { metrics: { backlogCount: messages.length, backlogBytes: 0 } },
    ackAll: () => {
      for (const r of records) r.acked = true;
    },
    retryAll: (o?: QueueRetryOptions) => {
      for (const r of records) r.retried = o ?? {};
    },
  };
  return { batch, records };
}

export async function deliveryRow(id: string) {
  const [row] = await asSystem((tx) => tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, id)));
  return row;
}

export async function deliveriesOf(agentId: string) {
  return asSystem((tx) => tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.agentId, agentId)));
}

/**
 * The receiver of docs/WEBHOOKS.md ("Cloudflare Workers" snippet), written against WebCrypto directly so
 * it checks our signer rather than reusing it. Answers `status` when the signature is valid, 401 otherwise.
 */
export function verifyingReceiver(secret: string, status = 204, nowSeconds = () => Math.floor(Date.now() / 1000)) {
  const seen: { ok: boolean; headers: Headers; body: string; request: Request }[] = [];
  const receiver = async (request: Request): Promise<Response> => {
    const body = await request.text();
    const ts = request.headers.get("X-MoltStack-Timestamp") ?? "";
    const sig = request.headers.get("X-MoltStack-Signature") ?? "";
    const fresh = /^\d+$/.test(ts) && Math.abs(nowSeconds() - Number(ts)) <= 300;
    const key = await crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["verify"],
    );
    const hex = sig.startsWith("v1=") ? sig.slice(3) : "";
    const bytes = new Uint8Array((hex.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));
    const valid =
      hex.length === 64 && (await crypto.subtle.verify("HMAC", key, bytes, new TextEncoder().encode(`${ts}.${body}`)));
    const ok = fresh && valid;
    seen.push({ ok, headers: request.headers, body, request });
    return new Response(null, { status: ok ? status : 401 });
  };
  return { receiver, seen };
}
