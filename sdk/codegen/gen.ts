// CLI: regenerate sdk/src/generated/api.ts from a running Worker's OpenAPI document or a saved copy.
//   node sdk/codegen/gen.ts http://127.0.0.1:8787/api/v1/openapi.json
// (Node ≥ 22.18 / 24 runs this TypeScript directly by stripping types.)
import { readFile, writeFile } from "node:fs/promises";
import { generate, type Json } from "./openapi-codegen.ts";

const source = process.argv[2] ?? "http://127.0.0.1:8787/api/v1/openapi.json";
const text = /^https?:/.test(source) ? await (await fetch(source)).text() : await readFile(source, "utf8");
const out = new URL("../src/generated/api.ts", import.meta.url);
await writeFile(out, await generate(JSON.parse(text) as Json));
console.log(`wrote ${out.pathname}`);
