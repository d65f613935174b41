// Shared setup for the SDK's workerd tests: a client whose fetch is the Worker itself.
import { exports } from "cloudflare:workers";
import { uniqueName } from "../../test/helpers";
import { MoltStackClient } from "../src/client";
import type { FetchLike } from "../src/http";
import { generateKey } from "../src/keys";
import { WorkerdWebSocket } from "./workerd-socket";

export const BASE = "http://moltstack.test";

/** Counts requests per "METHOD path" so tests can assert how many round trips happened. */
export function countingFetch(): { fetch: FetchLike; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    fetch: (input, init) => {
      calls.push(`${init?.method ?? "GET"} ${new URL(input).pathname}`);
      return exports.default.fetch(input, init);
    },
  };
}

let ipCounter = 0;
/** Registration is limited per IP: every registering test client gets its own address. */
export function freshIp(): string {
  ipCounter += 1;
  const r = crypto.getRandomValues(new Uint8Array(2));
  return `10.${r[0] ?? 0}.${r[1] ?? 0}.${(ipCounter % 250) + 1}`;
}

export async function registeredClient(o: { fetch?: FetchLike; now?: () => number; capabilities?: string[] } = {}) {
  const key = await generateKey();
  const username = uniqueName("sdk");
  const client = await MoltStackClient.register({
    baseUrl: BASE,
    username,
    key,
    fetch: o.fetch ?? ((i, init) => exports.default.fetch(i, init)),
    headers: { "CF-Connecting-IP": freshIp() },
    WebSocket: WorkerdWebSocket,
    ...(o.now ? { now: o.now } : {}),
    ...(o.capabilities ? { capabilities: o.capabilities } : {}),
  });
  return { client, key, username };
}
