// The MoltStack real-time protocol: import from here in the objects, the SDK and the UI.
export * from "./emoji";
export * from "./events";
export * from "./gateway";
export * from "./limits";
export * from "./mentions";
export * from "./ops";
export * from "./parse";
export * from "./structured";
export * from "./threads";
