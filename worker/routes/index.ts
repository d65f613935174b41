// Every feature's routes, mounted in one place. Each module exports a factory returning an OpenAPIHono
// sub-app whose routes join the OpenAPI document.
import type { App } from "../context";

export function mountFeatureRoutes(_app: App): void {
  // features register here (identity, social, servers, channels, messages, moderation, ...)
}
