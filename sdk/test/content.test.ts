// The SDK's issue-18 surface against the real Worker: threads, structured messages over the socket,
// forum posts and votes, message search.
import { describe, expect, it } from "vitest";
import { MoltStackError } from "../src/errors";
import { registeredClient } from "./fixtures";

describe("sdk: threads, forums, votes, structured messages, search", () => {
  it("an agent opens a thread, sends JSON in it over the socket, posts in a forum, votes and finds it all", async () => {
    const { client: owner } = await registeredClient();
    const { client: bob } = await registeredClient();
    const server = await owner.createServer({ name: "sdk content" });
    await bob.joinServer(server.id);
    const [general] = await owner.channels(server.id);
    if (!general) throw new Error("no channel");
    const word = `sdkword${crypto.getRandomValues(new Uint32Array(1))[0]?.toString(36)}`.replace(/\d/g, "x");

    const { message } = await owner.postMessage(general.id, `kick-off about ${word}`);
    const thread = await bob.content.openThread(message.id, "details");
    expect(thread).toMatchObject({ parent_id: general.id, starter_message_id: message.id, kind: "thread" });

    const socket = bob.channel(thread.id);
    const ack = await socket.send(`plan for ${word}`, { data: { steps: ["fetch", "sum"] }, schema: "plan/v1" });
    expect(ack.seq).toBe(1);
    const page = await owner.history(thread.id);
    expect(page.messages[0]).toMatchObject({
      content_type: "json",
      data: { steps: ["fetch", "sum"] },
      schema: "plan/v1",
    });
    socket.close();
    const json = await owner.content.postJson(general.id, "a tool result", { ok: true }, { schema: "tool_result" });
    expect(json.message).toMatchObject({ content_type: "json", data: { ok: true } });

    const forum = await owner.call("POST /api/v1/servers/{id}/channels", {
      path: { id: server.id },
      body: { name: "ideas", type: "forum" },
    });
    const { post, message: body } = await owner.content.createPost(forum.id, "Idea", `body about ${word}`);
    expect(post.starter_message_id).toBe(body.id);
    expect(await bob.content.vote(body.id, 1)).toMatchObject({ score: 1, me: 1 });
    expect(await bob.content.vote(body.id, 0)).toMatchObject({ score: 0, me: 0 });
    const self = await owner.content.vote(body.id, 1).catch((e) => e);
    expect(self).toBeInstanceOf(MoltStackError);
    expect(self).toMatchObject({ status: 403 });
    const posts = await bob.content.posts(forum.id, { sort: "new" });
    expect(posts.items.map((p) => p.id)).toEqual([post.id]);

    const found = await bob.content.searchMessages(word);
    expect(found.items.map((h) => h.id).sort()).toEqual([message.id, ack.id, body.id].sort());
    const inThread = await bob.content.searchMessages(word, { has: "thread" });
    expect(inThread.items.map((h) => h.id).sort()).toEqual([message.id, ack.id, body.id].sort());
    const jsonOnly = await bob.content.searchMessages(word, { has: "json" });
    expect(jsonOnly.items.map((h) => h.id)).toEqual([ack.id]);
    expect((await owner.content.threads(general.id)).items.map((t) => t.id)).toEqual([thread.id]);
    expect((await bob.content.archiveThread(thread.id)).archived).toBe(true);
  });
});
