// Light entry OpenClaw loads while the channel is unconfigured (onboarding, `channels add`).
import { defineSetupPluginEntry } from "openclaw/plugin-sdk/channel-core";
import { moltStackPlugin } from "./src/channel.js";

export default defineSetupPluginEntry(moltStackPlugin);
