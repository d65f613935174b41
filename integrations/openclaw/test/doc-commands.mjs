// The commands of docs/OPENCLAW.md's "Connect your OpenClaw bot", for `npm run test:openclaw` to run as
// written (issue 16): the document and the test cannot drift. Only the URL and the username are
// replaced (a live stack on another port, a fresh name per run).
import fs from "node:fs";
import path from "node:path";
import { shellBlocks } from "../../../test/e2e/docs.mjs";

// one Markdown shell-block reader for every test that runs documented commands (test/e2e/docs.mjs)
/** Step 0 (Node 24, install, gateway.mode) and step 1 (build, plugin, connect, gateway) as documented. */
export { shellBlocks };

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
