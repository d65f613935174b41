import { defineConfig } from "drizzle-kit";

// `npx drizzle-kit generate --name <what>` writes the next DDL migration from common/db/schema.ts.
// Row-level security lives in hand-written migrations beside them (see docs/ARCHITECTURE.md).
export default defineConfig({
  dialect: "postgresql",
  schema: "./common/db/schema.ts",
  out: "./migrations",
  casing: "snake_case",
});
