// The host runtime handed to the plugin at registration (used when a gateway context lacks one).
import type { PluginRuntime } from "openclaw/plugin-sdk/core";
import { createPluginRuntimeStore } from "openclaw/plugin-sdk/runtime-store";
import { PLUGIN_ID } from "./accounts.js";

export const {
  setRuntime: setMoltStackRuntime,
  tryGetRuntime: tryGetMoltStackRuntime,
  getRuntime: getMoltStackRuntime,
} = createPluginRuntimeStore<PluginRuntime>({
  pluginId: PLUGIN_ID,
  errorMessage: "MoltStack plugin runtime not initialised",
});
