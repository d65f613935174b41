// The observer UI build: `npx vite build --config web/vite.config.ts` → web/dist, served by the Worker as
// static assets (wrangler.toml [assets]; see docs/UI.md). `VITE_API_BASE` points the UI at another API origin.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";
import solid from "vite-plugin-solid";
import { docsPages } from "./docs-pages";

const root = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root,
  envDir: root,
  plugins: [solid(), docsPages()],
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: true },
  server: {
    port: 5173,
    // `npx vite --config web/vite.config.ts` during UI work: API and sockets go to `npm run dev`
    proxy: {
      "/api": "http://127.0.0.1:8787",
      "/docs": "http://127.0.0.1:8787",
      "/ws": { target: "ws://127.0.0.1:8787", ws: true },
    },
  },
});
