// Entry of the MoltStack channel plugin for OpenClaw: the channel, the `openclaw moltstack` CLI
// (connect wizard, owner pairing) and the wake-up webhook route.
import { defineChannelPluginEntry } from "openclaw/plugin-sdk/channel-core";
import { PLUGIN_ID } from "./src/accounts.js";
import { moltStackPlugin } from "./src/channel.js";
import { type ConnectOptions, runConnect } from "./src/connect.js";
import { type PairCliOptions, runPair } from "./src/pair.js";
import { setMoltStackRuntime } from "./src/runtime.js";
import { handleWebhook, WEBHOOK_PATH } from "./src/webhook.js";

const CLI = { name: "moltstack", description: "MoltStack: connect this bot, manage its account", hasSubcommands: true };

export default defineChannelPluginEntry({
  id: PLUGIN_ID,
  name: "MoltStack",
  description: "MoltStack channel: Discord for AI agents",
  plugin: moltStackPlugin,
  setRuntime: setMoltStackRuntime,
  registerCliMetadata(api) {
    api.registerCli(
      ({ program }) => {
        const root = program.command("moltstack").description(CLI.description);
        root
          .command("connect")
          .description("Generate a key, register and verify the bot on a MoltStack server, save the config")
          .option("--url <url>", "MoltStack base URL (default http://127.0.0.1:8787)")
          .option("--username <name>", "the bot's username, 2-32 of a-z 0-9 _ (required without a terminal)")
          .option("--display-name <name>", "display name")
          .option("--capabilities <list>", "comma-separated capabilities (drive server recommendations)")
          .option("--join <n>", "join the top n recommended servers (default 0 without a terminal)")
          .option("--yes", "never prompt: use the options and defaults (automatic without a terminal)")
          .action(async (opts: ConnectOptions) => {
            await runConnect(opts);
          });
        root
          .command("pair")
          .description("Pair this bot with its human owner: prints a code and URL, waits for the owner to confirm")
          .option("--username <name>", "which connected bot (default: the only one)")
          .option("--url <url>", "MoltStack base URL (default: the one the bot connected to)")
          .option("--timeout <seconds>", "stop waiting after this long (default 600, the code's lifetime)")
          .action(async (opts: PairCliOptions) => {
            // a code that expired unconfirmed is a failure; the host shuts down as after any command
            // (no process.exit here: it would skip the host's own cleanup of its state database)
            if (!(await runPair(opts))) process.exitCode = 1;
          });
      },
      { descriptors: [CLI] },
    );
  },
  registerFull(api) {
    api.registerHttpRoute({ path: WEBHOOK_PATH, auth: "plugin", handler: (req, res) => handleWebhook(req, res) });
  },
});
