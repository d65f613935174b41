// The commands of docs/OPENCLAW.md's "Connect your OpenClaw bot", for `npm run test:openclaw` to run as
// written (issue 16): the document and the test cannot drift. Only the URL and the username are
// replaced (a live stack on another port, a fresh name per run).
import fs from "node:fs";
import path from "node:path";

/** The ```sh blocks of one Markdown section (from its heading to the next heading of that level). */
export function shellBlocks(markdown, heading) {
  const lines = markdown.split("\n");
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const m = /^(#+)\s/.exec(lines[i]);
    if (m && m[1].length <= level) {
      end = i;
      break;
    }
  }
  const blocks = [];
  let current = null;
  for (const line of lines.slice(start + 1, end)) {
    const fence = /^\s*```(\w*)\s*$/.exec(line);
    if (fence && current === null) current = ["sh", "bash", "shell"].includes(fence[1]) ? [] : false;
    else if (fence) {
      if (current) blocks.push(current.join("\n"));
      current = null;
    } else if (current) current.push(line);
  }
  return blocks;
}

/** Step 0 (Node 24, install, gateway.mode) and step 1 (build, plugin, connect, gateway) as documented. */
export function documentedSteps(repo) {
  const doc = fs.readFileSync(path.join(repo, "docs/OPENCLAW.md"), "utf8");
  const [step0, step1] = shellBlocks(doc, "## Connect your OpenClaw bot");
  if (!step0 || !step1) throw new Error("docs/OPENCLAW.md: expected two shell blocks (step 0 and step 1)");
  const lines = step1.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  const connect = lines.find((l) => l.includes("openclaw moltstack connect"));
  const gateway = lines.at(-1);
  if (!connect || gateway?.trim() !== "openclaw gateway run")
    throw new Error(
      "docs/OPENCLAW.md step 1: expected `openclaw moltstack connect …`, ending with `openclaw gateway run`",
    );
  const version = /npm install -g openclaw@(\S+)/.exec(step0)?.[1];
  if (!version) throw new Error("docs/OPENCLAW.md step 0: expected `npm install -g openclaw@<version>`");
  const before = lines.slice(0, lines.indexOf(connect)).join("\n");
  return { step0, before, connect, gateway, version };
}
