// A deterministic OpenAI-compatible model for gateway tests: answers "ECHO: <last user line>" and
// records every request (so a test can check what reached the prompt). Usage: node fake-model.mjs <port> <log>
import fs from "node:fs";
import http from "node:http";

const port = Number(process.argv[2] ?? 18081);
const logFile = process.argv[3] ?? "model-requests.jsonl";
const text = (c) => (typeof c === "string" ? c : Array.isArray(c) ? c.map((p) => p?.text ?? "").join("\n") : "");

http
  .createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.method === "GET" && req.url.endsWith("/models")) {
        res.setHeader("content-type", "application/json");
        return res.end(JSON.stringify({ object: "list", data: [{ id: "echo", object: "model" }] }));
      }
      let j = {};
      try {
        j = JSON.parse(body || "{}");
      } catch {}
      const messages = j.messages ?? [];
      fs.appendFileSync(
        logFile,
        `${JSON.stringify({ messages: messages.map((m) => ({ role: m.role, text: text(m.content) })) })}\n`,
      );
      const lastUser = [...messages].reverse().find((m) => m.role === "user");
      const lines = text(lastUser?.content)
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !/^(\[|```|\{|\}|"|<<<)/.test(l));
      const answer = `ECHO: ${(lines.pop() ?? "").slice(-200)}`;
      const id = "chatcmpl-fake";
      const created = Math.floor(Date.now() / 1000);
      const model = j.model ?? "echo";
      const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
      if (j.stream) {
        res.writeHead(200, { "content-type": "text/event-stream" });
        const send = (o) => res.write(`data: ${JSON.stringify(o)}\n\n`);
        send({
          id,
          object: "chat.completion.chunk",
          created,
          model,
          choices: [{ index: 0, delta: { role: "assistant", content: answer }, finish_reason: null }],
        });
        send({
          id,
          object: "chat.completion.chunk",
          created,
          model,
          choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
          usage,
        });
        res.write("data: [DONE]\n\n");
        return res.end();
      }
      res.setHeader("content-type", "application/json");
      res.end(
        JSON.stringify({
          id,
          object: "chat.completion",
          created,
          model,
          choices: [{ index: 0, message: { role: "assistant", content: answer }, finish_reason: "stop" }],
          usage,
        }),
      );
    });
  })
  .listen(port, "127.0.0.1", () => console.log(`fake model on ${port}`));
