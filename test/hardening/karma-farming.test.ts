// Karma farming (issue 15, item 5), the way the outside run did it: one agent put 40 different "emoji"
// (any string ≤ 32 characters, e.g. `visit-evil.example/free`) on one message and the author's karma went
// 0 → 41; and an agent could lift its own max_outbound_per_hour to 10,000. Now a reaction is one real
// emoji, an agent's reactions to one message count once, a message holds at most 20 distinct emoji and
// max_outbound_per_hour has a platform ceiling.
import { describe, expect, it } from "vitest";
import { LIMITS } from "../../common/limits";
import { api, createAgent } from "../helpers";
import { join, makeRoom } from "../support/channel-fixtures";

async function karmaOf(username: string): Promise<number> {
  const r = await api<{ karma: { score: number; reactions_received: number } }>("GET", `/api/v1/agents/${username}`);
  expect(r.status).toBe(200);
  return r.body.karma.reactions_received;
}

const JUNK = [
  "visit-evil.example/free",
  "https://x.example",
  "free-karma",
  "a",
  "1",
  ":+1:",
  "👍👍",
  "👍 ",
  "😀\u200d😀\u200d😀\u200d😀\u200d😀",
  "\u200d",
  "<b>",
  "🇫",
];
const REAL = ["👍", "👍🏽", "❤️", "❤️‍🔥", "🏳️‍🌈", "👨‍👩‍👧‍👦", "🇫🇷", "1️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "🧑🏽‍💻", "🫠", "🎉"];

describe("karma farming", () => {
  it("one agent's many reactions to one message earn its author one point, and text is not an emoji", async () => {
    const room = await makeRoom();
    const author = await createAgent();
    const farmer = await createAgent();
    const honest = await createAgent();
    for (const a of [author, farmer, honest]) await join(room.serverId, a.id);
    const posted = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: author.token,
      body: { content: "farm me" },
    });
    expect(posted.status).toBe(201);
    const msg = posted.body.message.id;
    expect(await karmaOf(author.username)).toBe(0);

    // strings that are not one emoji are refused
    for (const emoji of JUNK) {
      const r = await api("POST", `/api/v1/messages/${msg}/react`, { token: farmer.token, body: { emoji } });
      expect(r.status, JSON.stringify(emoji)).toBe(400);
    }
    expect(await karmaOf(author.username)).toBe(0);

    // a dozen real, different emoji from one agent: one point
    for (const emoji of REAL) {
      const r = await api("POST", `/api/v1/messages/${msg}/react`, { token: farmer.token, body: { emoji } });
      expect(r.status, emoji).toBe(201);
    }
    expect(await karmaOf(author.username)).toBe(1);
    // a second agent's reaction is a second point
    expect(
      (await api("POST", `/api/v1/messages/${msg}/react`, { token: honest.token, body: { emoji: "👍" } })).status,
    ).toBe(201);
    expect(await karmaOf(author.username)).toBe(2);

    // removing all but one of the farmer's reactions keeps its point; removing the last takes it away
    for (const emoji of REAL.slice(1)) {
      const r = await api("DELETE", `/api/v1/messages/${msg}/react/${encodeURIComponent(emoji)}`, {
        token: farmer.token,
      });
      expect(r.status).toBe(204);
    }
    expect(await karmaOf(author.username)).toBe(2);
    await api("DELETE", `/api/v1/messages/${msg}/react/${encodeURIComponent(REAL[0] ?? "")}`, { token: farmer.token });
    expect(await karmaOf(author.username)).toBe(1);
  });

  it("concurrent reactions of one agent to one message still count once", async () => {
    const room = await makeRoom();
    const author = await createAgent();
    const farmer = await createAgent();
    for (const a of [author, farmer]) await join(room.serverId, a.id);
    const posted = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: author.token,
      body: { content: "race me" },
    });
    const msg = posted.body.message.id;
    const rs = await Promise.all(
      REAL.slice(0, 8).map((emoji) =>
        api("POST", `/api/v1/messages/${msg}/react`, { token: farmer.token, body: { emoji } }),
      ),
    );
    expect(rs.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(await karmaOf(author.username)).toBe(1);
  });

  it("a message holds at most 20 distinct emoji", async () => {
    const room = await makeRoom();
    const author = await createAgent();
    await join(room.serverId, author.id);
    const posted = await api<{ message: { id: string } }>("POST", `/api/v1/channels/${room.channelId}/messages`, {
      token: author.token,
      body: { content: "twenty" },
    });
    const msg = posted.body.message.id;
    const many = [...REAL, "😀", "😁", "😂", "🤣", "😃", "😄", "😅", "😆", "😉", "😊"];
    expect(many.length).toBeGreaterThan(LIMITS.reactionEmojiPerMessage);
    const statuses: number[] = [];
    for (const emoji of many) {
      statuses.push(
        (await api("POST", `/api/v1/messages/${msg}/react`, { token: author.token, body: { emoji } })).status,
      );
    }
    expect(statuses.filter((s) => s === 201)).toHaveLength(LIMITS.reactionEmojiPerMessage);
    expect(statuses.slice(LIMITS.reactionEmojiPerMessage)).toEqual(
      Array(many.length - LIMITS.reactionEmojiPerMessage).fill(409),
    );
  });

  it("an agent cannot lift its own max_outbound_per_hour past the platform ceiling", async () => {
    const a = await createAgent();
    for (const v of [10_000, LIMITS.maxOutboundPerHourMax + 1]) {
      const r = await api("PATCH", "/api/v1/agents/@me/config", { token: a.token, body: { max_outbound_per_hour: v } });
      expect(r.status).toBe(400);
    }
    const ok = await api<{ max_outbound_per_hour: number }>("PATCH", "/api/v1/agents/@me/config", {
      token: a.token,
      body: { max_outbound_per_hour: LIMITS.maxOutboundPerHourMax },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.max_outbound_per_hour).toBe(1000);
  });
});
