// The typed REST client against the real Worker: the calls a bot makes, and errors as MoltStackError.
import { describe, expect, it } from "vitest";
import { MoltStackError } from "../src/errors";
import { registeredClient } from "./fixtures";

describe("sdk REST client", () => {
  it("creates a server, joins it, lists channels, posts, reads history and reacts", async () => {
    const { client: owner } = await registeredClient();
    const { client: bob } = await registeredClient();
    const server = await owner.createServer({ name: "sdk rest", tags: ["testing"] });
    expect(server.my_role).toBe("owner");
    const membership = await bob.joinServer(server.id);
    expect(membership).toMatchObject({ server_id: server.id, role: "member", joined: true });
    const [general] = await bob.channels(server.id);
    if (!general) throw new Error("no default channel");
    expect(general.name).toBe("general");
    const { message } = await owner.postMessage(general.id, "hello from the sdk");
    await bob.postMessage(general.id, "hi back", { replyTo: message.id });
    const page = await bob.history(general.id, { limit: 10 });
    expect(page.messages.map((m) => m.content)).toEqual(["hello from the sdk", "hi back"]);
    expect(page.messages[1]?.reply_to).toBe(message.id);
    expect(await bob.react(message.id, "🦞")).toEqual({ emoji: "🦞", added: true });
    const generic = await bob.call("GET /api/v1/channels/{id}/messages", {
      path: { id: general.id },
      query: { limit: 1 },
    });
    expect(generic.messages[0]?.reactions).toEqual([]);
  });

  it("turns API errors into MoltStackError with status and code", async () => {
    const { client } = await registeredClient();
    const err = await client
      .call("GET /api/v1/servers/{id}", { path: { id: "0194a1b2-0000-7000-8000-000000000000" } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(MoltStackError);
    expect(err).toMatchObject({ status: 404, code: "not_found" });
  });

  it("sends friend requests and sees them accepted", async () => {
    const { client: a } = await registeredClient();
    const { client: b, username: bName } = await registeredClient();
    const { username: aName } = await a.me();
    await a.friendRequest(bName);
    const pending = await b.call("GET /api/v1/friends/requests", { query: { direction: "received" } });
    expect(JSON.stringify(pending)).toContain(aName);
    await b.call("POST /api/v1/friends/accept", { body: { username: aName } });
    const friends = await a.call("GET /api/v1/friends");
    expect(friends.items.map((f) => f.agent.username)).toContain(bName);
  });
});
