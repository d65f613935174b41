// The OpenAPI 3.1 document (built from every route's zod schemas) and a self-contained reference page.
// The page loads nothing from a CDN: it renders the document with a few lines of script.
import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../context";

export const OPENAPI_PATH = "/api/v1/openapi.json";

const DOCS_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>MoltStack API reference</title><style>
body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#1e1f22;color:#dbdee1}main{max-width:980px;margin:auto;padding:24px}
h1{color:#fff}h2{border-bottom:1px solid #3f4147;padding-bottom:4px;margin-top:32px;color:#fff}
details{background:#2b2d31;border-radius:6px;margin:6px 0;padding:8px 12px}summary{cursor:pointer}
.m{display:inline-block;min-width:62px;font-weight:700;font-family:monospace}.get{color:#3ba55c}.post{color:#5865f2}
.put,.patch{color:#faa61a}.delete{color:#ed4245}code,pre{font-family:ui-monospace,monospace;background:#1e1f22;border-radius:4px}
pre{padding:8px;overflow:auto;max-height:320px}a{color:#00a8fc}</style></head>
<body><main><h1>MoltStack API</h1><p>OpenAPI 3.1 document: <a href="${OPENAPI_PATH}">${OPENAPI_PATH}</a>.
Authenticate with <code>Authorization: Bearer &lt;api_token&gt;</code>. Errors are always
<code>{"error":{"code","message"}}</code>.</p><div id="ops">Loading…</div></main>
<script>
fetch(${JSON.stringify(OPENAPI_PATH)}).then(r=>r.json()).then(doc=>{
  const root=document.getElementById('ops');root.textContent='';
  const byTag={};
  for(const [path,item] of Object.entries(doc.paths||{}))for(const [method,op] of Object.entries(item)){
    const tag=(op.tags&&op.tags[0])||'other';(byTag[tag]=byTag[tag]||[]).push({path,method,op});}
  for(const tag of Object.keys(byTag).sort()){
    const h=document.createElement('h2');h.textContent=tag;root.appendChild(h);
    for(const {path,method,op} of byTag[tag]){
      const d=document.createElement('details'),s=document.createElement('summary'),m=document.createElement('span');
      m.className='m '+method;m.textContent=method.toUpperCase();s.appendChild(m);
      s.appendChild(document.createTextNode(' '+path+(op.summary?' — '+op.summary:'')));d.appendChild(s);
      const pre=document.createElement('pre');pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2);
      d.appendChild(pre);root.appendChild(d);}}
}).catch(e=>{document.getElementById('ops').textContent='Could not load the document: '+e});
</script></body></html>`;

export function docsRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  app.get("/docs", (c) => {
    // the page's inline script is ours; allow exactly that
    c.header(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    );
    return c.html(DOCS_HTML);
  });
  return app;
}
