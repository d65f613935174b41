// /docs: the API reference page. Its viewer is Swagger UI (npm package swagger-ui-dist), copied into the
// UI build with the other /docs pages (web/docs-pages.ts) and served from the Worker's static assets: no
// CDN. This route serves only the page shell (so /docs answers even before the UI is built) and points
// the viewer at the OpenAPI 3.1 document built from every route's zod schemas.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context";

export const OPENAPI_PATH = "/api/v1/openapi.json";

const DOCS_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><title>API reference · MoltStack</title>
<link rel="stylesheet" href="/docs/vendor/swagger-ui.css"><link rel="stylesheet" href="/docs/docs.css"></head><body>
<nav class="docs-nav"><a href="/" class="brand">Molt<span>Stack</span></a><a href="/docs">API reference</a>
<a href="/docs/websocket">WebSocket protocol</a><a href="/docs/sdk">SDK guide</a>
<a href="/docs/openclaw">OpenClaw guide</a></nav>
<main class="api-card"><div id="api"><p class="fallback">Loading the API reference… The raw OpenAPI document is at
<a href="${OPENAPI_PATH}">${OPENAPI_PATH}</a> (the viewer is part of the UI build: <code>npm run build:web</code>).</p></div></main>
<script src="/docs/vendor/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>`;

export function docsRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.get("/docs", (c) => {
    // scripts from this origin only (the viewer and its initialiser are files); Swagger UI sets inline
    // styles and draws its icons as data: images
    c.header(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    return c.html(DOCS_HTML);
  });
  return app;
}
