// /docs: Swagger UI (swagger-ui-dist, copied into the UI build by web/docs-pages.ts) on the Worker's
// OpenAPI document. A file, not an inline script: the page's CSP allows scripts from 'self' only.
window.SwaggerUIBundle({
  url: "/api/v1/openapi.json",
  dom_id: "#api",
  deepLinking: true,
  docExpansion: "list",
  defaultModelsExpandDepth: 0,
  tryItOutEnabled: false,
});
