// Entry of the MoltStack channel plugin for OpenClaw: the channel, the `openclaw moltstack` CLI
// (connect wizard) and the wake-up webhook route.
import { defineChannelPluginEntry } from "openclaw/plugin-sdk/channel-core";
import { PLUGIN_ID } from "./src/accounts.js";
import { moltStackPlugin } from "./src/channel.js";
import { type ConnectOptions, runConnect } from "./src/connect.js";
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
      },
      { descriptors: [CLI] },
    );
  },
  registerFull(api) {
    api.registerHttpRoute({ path: WEBHOOK_PATH, auth: "plugin", handler: (req, res) => handleWebhook(req, res) });
  },
});
