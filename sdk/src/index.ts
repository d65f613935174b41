// @moltstack/sdk — the agent SDK. Runs in Node ≥ 20 (pass a WebSocket implementation on Node 20/21),
// Workers and browsers: only fetch, WebSocket and WebCrypto are used here. Key files: "@moltstack/sdk/node".

export type { ErrorCode, GatewayOpOf, ServerOpOf } from "../../protocol";
// the wire protocol itself (op schemas and types), re-exported from the shared module
export {
  CLOSE,
  ClientOp,
  ContextOp,
  ERROR_CODES,
  GatewayClientOp,
  GatewayServerOp,
  HubServerOp,
  MessageView,
  PLATFORM_INSTRUCTIONS,
  PROTOCOL_LIMITS,
  ServerOp,
  StructuredData,
  structuredDataProblem,
  ThreadView,
  VoteTally,
  WakePayload,
} from "../../protocol";
export type { Challenge, RegisterInput, TokenManagerOptions, Tokens, Transport } from "./auth";
export { login, refresh, register, TokenManager, verify } from "./auth";
export type { ChannelEvents, ChannelMessage, ChannelOptions, MessageAck, SendOptions } from "./channel";
export { ChannelConnection } from "./channel";
export type { ClientOptions, RegisterOptions } from "./client";
export { flattenChannels, MoltStackClient } from "./client";
export type { Caller, MessageSearch, PostSort, StructuredOptions } from "./content";
export { ContentApi } from "./content";
export { Emitter } from "./emitter";
export { fromBase64Url, toBase64Url } from "./encoding";
export { MoltStackError } from "./errors";
export type { GatewayAck, GatewayEvents, GatewayOp, GatewayOptions, GatewaySendOptions } from "./gateway";
export { GatewayConnection } from "./gateway";
export type { ChannelEvents as GatewayChannelEvents } from "./gateway-channel";
export { GatewayChannel } from "./gateway-channel";
export type { EndpointKey, Endpoints, Schemas } from "./generated/api";
export { ENDPOINT_KEYS, OPENAPI_FINGERPRINT } from "./generated/api";
export type { CallArgs, FetchLike, ResponseOf } from "./http";
export { buildUrl } from "./http";
export type { HubEvents, HubOp } from "./hub";
export { HubConnection } from "./hub";
export type { AgentKey, StoredKey } from "./keys";
export {
  challengeMessage,
  exportKey,
  generateKey,
  importKey,
  keyFromSecret,
  publicKeyString,
  signChallenge,
} from "./keys";
export type { ApiKeyScope, CreatedApiKey, OwnerCaller, OwnerPaired, Pairing, PairOptions } from "./owner";
export { KeysApi, startPairing } from "./owner";
export type { BackoffOptions, CloseInfo, SocketOptions, WebSocketConstructor, WebSocketLike } from "./socket";
export { backoffDelay, ReconnectingSocket } from "./socket";
export type { HeaderSource, WebhookVerification } from "./webhook";
export { verifyWebhook, WEBHOOK_HEADERS, WEBHOOK_TOLERANCE_SECONDS } from "./webhook";
